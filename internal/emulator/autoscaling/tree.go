package autoscaling

import (
	"encoding/xml"
	"sort"
	"strconv"
	"strings"
)

// tree holds a nested structure of an awsQuery request as it was sent
// ("Policy.Steps.member.1.Adjustment=2") so that the emulator can store a
// structure it does not interpret (an InstancesDistribution, a target
// tracking configuration) and echo it in the XML shape the SDK reads:
// the same member names, lists wrapped in <member>. Both directions use
// the same names in this API, which is what makes the echo faithful.
type tree struct {
	value    string
	children map[string]*tree
}

// readTree collects every parameter under "prefix." into a tree; nil when
// there is none. A bare "prefix=" (how the SDK sends an empty list or
// structure) gives an empty tree.
func readTree(p params, prefix string) (*tree, *apiError) {
	var root *tree
	if _, ok := p.v[prefix]; ok {
		root = &tree{}
	}
	for key, vs := range p.v {
		rest, ok := strings.CutPrefix(key, prefix+".")
		if !ok || len(vs) == 0 {
			continue
		}
		if !xmlText(vs[0]) {
			return nil, validationf("Invalid value for parameter %s", key)
		}
		if root == nil {
			root = &tree{}
		}
		n := root
		prev := ""
		for _, part := range strings.Split(rest, ".") {
			if !memberName(part, prev == "member") {
				return nil, validationf("Invalid parameter %s", key)
			}
			prev = part
			if n.children == nil {
				n.children = map[string]*tree{}
			}
			c, ok := n.children[part]
			if !ok {
				c = &tree{}
				n.children[part] = c
			}
			n = c
		}
		n.value = vs[0]
	}
	return root, nil
}

// memberName reports whether part can be a segment of a parameter name:
// a list index (digits) right after "member", else a member name (an ASCII
// letter, then letters and digits), which is also a valid XML name.
func memberName(part string, index bool) bool {
	if part == "" {
		return false
	}
	for i, r := range part {
		digit := r >= '0' && r <= '9'
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		switch {
		case index && !digit:
			return false
		case !index && !letter && (i == 0 || !digit):
			return false
		}
	}
	return true
}

// child returns the subtree at a dotted path, or nil.
func (t *tree) child(path string) *tree {
	n := t
	for _, part := range strings.Split(path, ".") {
		if n == nil {
			return nil
		}
		n = n.children[part]
	}
	return n
}

// MarshalXML writes the tree under start: members sorted by name, list
// items ("member" then an index) as repeated <member> elements in index
// order.
func (t *tree) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if len(t.children) == 0 && t.value != "" {
		if err := e.EncodeToken(xml.CharData(t.value)); err != nil {
			return err
		}
	}
	for _, name := range sortedKeys(t.children) {
		c := t.children[name]
		if name != "member" {
			if err := c.MarshalXML(e, xml.StartElement{Name: xml.Name{Local: name}}); err != nil {
				return err
			}
			continue
		}
		idx := make([]string, 0, len(c.children))
		for i := range c.children {
			idx = append(idx, i)
		}
		sort.Slice(idx, func(a, b int) bool {
			x, _ := strconv.Atoi(idx[a])
			y, _ := strconv.Atoi(idx[b])
			return x < y
		})
		for _, i := range idx {
			if err := c.children[i].MarshalXML(e, xml.StartElement{Name: xml.Name{Local: "member"}}); err != nil {
				return err
			}
		}
	}
	return e.EncodeToken(start.End())
}
