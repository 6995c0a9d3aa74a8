package autoscaling

import (
	"fmt"
	"net/http"
	"time"
)

// CreateOrUpdateTags and DeleteTags (API_CreateOrUpdateTags,
// API_DeleteTags): tags of Auto Scaling groups, by group name
// (ResourceType "auto-scaling-group", ResourceId the group's name).
func init() {
	handlers["CreateOrUpdateTags"] = (*Service).createOrUpdateTags
	handlers["DeleteTags"] = (*Service).deleteTags
}

// tagTarget reads one Tags.member.N's group and key.
func (s *Service) tagTarget(p params, pre string) (*group, string, *apiError) {
	if rt, _ := p.str(pre + ".ResourceType"); rt != "auto-scaling-group" {
		return nil, "", validationf("1 validation error detected: Value '%s' at 'tags.member.resourceType' failed to satisfy constraint: must be auto-scaling-group", rt)
	}
	id, _ := p.str(pre + ".ResourceId")
	g, ok := s.groups[id]
	if !ok {
		return nil, "", notFound(id)
	}
	k, ok := p.str(pre + ".Key")
	if !ok || k == "" || len(k) > 128 || !xmlText(k) {
		return nil, "", validationf("1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: Member must have length less than or equal to 128 and greater than or equal to 1", k)
	}
	return g, k, nil
}

func (s *Service) createOrUpdateTags(p params, _ time.Time) (any, *apiError) {
	type change struct {
		g *group
		t tag
	}
	var changes []change
	for _, pre := range p.structs("Tags") {
		g, k, err := s.tagTarget(p, pre)
		if err != nil {
			return nil, err
		}
		v, _ := p.str(pre + ".Value")
		if len(v) > 256 || !xmlText(v) {
			return nil, validationf("1 validation error detected: Value at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256")
		}
		prop, err := p.bool(pre + ".PropagateAtLaunch")
		if err != nil {
			return nil, err
		}
		changes = append(changes, change{g: g, t: tag{key: k, value: v, propagate: prop != nil && *prop}})
	}
	// The quota counts the group's tags after the whole call.
	added := map[*group]map[string]bool{}
	for _, c := range changes {
		if _, ok := c.g.tags[c.t.key]; ok {
			continue
		}
		if added[c.g] == nil {
			added[c.g] = map[string]bool{}
		}
		added[c.g][c.t.key] = true
		if len(c.g.tags)+len(added[c.g]) > maxTags {
			return nil, &apiError{status: http.StatusBadRequest, code: "LimitExceeded", message: fmt.Sprintf("The number of tags per Auto Scaling group is limited to %d", maxTags)}
		}
	}
	for _, c := range changes {
		c.g.tags[c.t.key] = c.t
	}
	return nil, nil
}

func (s *Service) deleteTags(p params, _ time.Time) (any, *apiError) {
	for _, pre := range p.structs("Tags") {
		g, k, err := s.tagTarget(p, pre)
		if err != nil {
			return nil, err
		}
		delete(g.tags, k)
	}
	return nil, nil
}
