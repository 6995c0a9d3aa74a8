package autoscaling

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

func TestTags(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create(t, "web", 0, 10, 1)
	tagOf := func(name, key, value string) types.Tag {
		return types.Tag{ResourceId: aws.String(name), ResourceType: aws.String("auto-scaling-group"), Key: aws.String(key), Value: aws.String(value)}
	}
	if _, err := f.client.CreateOrUpdateTags(ctx, &autoscaling.CreateOrUpdateTagsInput{Tags: []types.Tag{tagOf("web", "team", "a"), tagOf("web", "tier", "1")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.CreateOrUpdateTags(ctx, &autoscaling.CreateOrUpdateTagsInput{Tags: []types.Tag{tagOf("web", "team", "b")}}); err != nil {
		t.Fatal(err)
	}
	if g := f.group(t, "web"); g.Tags["team"] != "b" || g.Tags["tier"] != "1" {
		t.Errorf("tags %v, want team=b tier=1", g.Tags)
	}
	if _, err := f.client.DeleteTags(ctx, &autoscaling.DeleteTagsInput{Tags: []types.Tag{tagOf("web", "team", "")}}); err != nil {
		t.Fatal(err)
	}
	if g := f.group(t, "web"); len(g.Tags) != 1 || g.Tags["tier"] != "1" {
		t.Errorf("after delete: tags %v, want tier=1 alone", g.Tags)
	}
	_, err := f.client.CreateOrUpdateTags(ctx, &autoscaling.CreateOrUpdateTagsInput{Tags: []types.Tag{tagOf("nope", "k", "v")}})
	if code := apiCode(err); code != "ValidationError" {
		t.Errorf("a missing group: %v, want ValidationError", err)
	}
	var many []types.Tag
	for i := range 50 {
		many = append(many, tagOf("web", fmt.Sprintf("k%02d", i), "v"))
	}
	_, err = f.client.CreateOrUpdateTags(ctx, &autoscaling.CreateOrUpdateTagsInput{Tags: many})
	if code := apiCode(err); code != "LimitExceeded" {
		t.Errorf("51 tags: %v, want LimitExceeded", err)
	}
	if g := f.group(t, "web"); len(g.Tags) != 1 {
		t.Errorf("a refused call changed the tags: %v", g.Tags)
	}
}
