package config

import (
	"fmt"
	"net/url"
	"strings"
)

// Campaigns configures the campaigns queue: an SQS queue on which the
// reward platform announces campaigns, each message the JSON body of POST
// /v1/campaigns. Empty QueueURL: no queue is read.
type Campaigns struct {
	// QueueURL is the queue's URL as SQS gives it
	// (https://sqs.eu-west-1.amazonaws.com/123456789012/campaigns); the
	// leader polls it.
	QueueURL string `yaml:"queue_url,omitempty"`
}

// checkCampaigns checks the campaigns key.
func (c *Config) checkCampaigns(ps *problems) {
	q := c.Campaigns.QueueURL
	if q == "" {
		return
	}
	u, err := url.Parse(q)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.Trim(u.Path, "/") == "" {
		ps.add("campaigns.queue_url", fmt.Sprintf("%q is not an SQS queue URL such as https://sqs.eu-west-1.amazonaws.com/123456789012/campaigns", q))
	}
}
