package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/headroom-dev/headroom/internal/emulator"
)

// TestCampaignQueueEndToEnd: a campaign announced on the campaigns queue
// becomes a boost sized from its audience, mirrored into the group, and
// the message is deleted.
func TestCampaignQueueEndToEnd(t *testing.T) {
	var queueURL string
	d := newCampaignDayWith(t, func(em *emulator.Server) string {
		out, err := sqs.NewFromConfig(em.AWSConfig()).CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("campaigns")})
		if err != nil {
			t.Fatal(err)
		}
		queueURL = aws.ToString(out.QueueUrl)
		return fmt.Sprintf("campaigns: {queue_url: %q}\n", queueURL)
	})
	q := sqs.NewFromConfig(d.em.AWSConfig())
	// 6,000 recipients at 09:00: 10% in the peak 5 minutes is 2 messages
	// a second; a message takes 1 s of one instance, so the floor is 2.
	if _, err := q.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(queueURL),
		MessageBody: aws.String(`{"name":"winter rewards","groups":["workers"],"start":"2026-12-15T09:00:00Z","audience":6000}`)}); err != nil {
		t.Fatal(err)
	}
	var list struct {
		Campaigns []struct {
			ID        string `json:"id"`
			CreatedBy string `json:"created_by"`
			Sizing    []struct {
				Boost  string `json:"boost"`
				Sizing struct {
					Floor  int    `json:"floor"`
					Source string `json:"source"`
				} `json:"sizing"`
			} `json:"sizing"`
		} `json:"campaigns"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(list.Campaigns) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the campaign from the queue was not created")
		}
		d.cycles(1)
		if code := d.get("/v1/campaigns", viewerToken, &list); code != http.StatusOK {
			t.Fatalf("GET /v1/campaigns: %d", code)
		}
	}
	c := list.Campaigns[0]
	if c.CreatedBy != "campaigns-queue" || len(c.Sizing) != 1 || c.Sizing[0].Sizing.Floor != 2 || c.Sizing[0].Sizing.Source != "default" {
		t.Fatalf("campaign %+v", c)
	}
	// Mirrored: MinSize 2 from 08:55 (the group's 5 min lead) to the end.
	d.cycles(1)
	acts := d.actions()
	if got := acts["headroom-boost-"+c.Sizing[0].Boost+"-start"]; got != "min 2 at 08:55:00" {
		t.Errorf("scheduled actions %v: want the boost's start at 08:55 with min 2", acts)
	}
	out, err := q.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range out.Attributes {
		if n, _ := strconv.Atoi(v); n != 0 {
			t.Errorf("%s = %d: the handled message was not deleted", k, n)
		}
	}
}
