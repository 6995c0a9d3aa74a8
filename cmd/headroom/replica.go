package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/headroom-dev/headroom/internal/config"
)

// A replica id names this replica in the lease, the logs and the AWS user
// agent. It is stable across restarts of the same replica, so that a
// restart is seen as the same replica coming back: with a bolt store (whose
// file lock proves the earlier process gone) it takes its lease back at
// once. Each process also draws a nonce that the lease records, so two live
// processes that end up with one id are still told apart (see
// internal/lease).
//
// Sources, in this order:
//
//	--replica-id ID            given
//	ECS task metadata          ecs-<task id>, when ECS_CONTAINER_METADATA_URI_V4 is set
//	EC2 instance metadata      the instance id, only with --replica-id-from ec2
//	host name and state        <host>-<8 hex digits of the state's hash>
//
// IMDS is asked only on request because off EC2 its address does not
// answer and the probe costs its whole timeout.

// Values of --replica-id-from.
const (
	replicaFromAuto = "auto"
	replicaFromECS  = "ecs"
	replicaFromEC2  = "ec2"
	replicaFromHost = "host"
)

// ecsMetadataEnv is the variable the ECS agent sets to the task metadata
// endpoint, version 4 ("Amazon ECS task metadata endpoint version 4",
// Amazon ECS Developer Guide).
const ecsMetadataEnv = "ECS_CONTAINER_METADATA_URI_V4"

// imdsEndpointEnv overrides IMDS's address, as the AWS SDKs read it.
const (
	imdsEndpointEnv = "AWS_EC2_METADATA_SERVICE_ENDPOINT"
	imdsEndpoint    = "http://169.254.169.254"
)

// metadataTimeout bounds each metadata request; both endpoints are local
// and answer in milliseconds when they exist.
const metadataTimeout = 2 * time.Second

// replicaIDRE keeps a replica id usable in an AWS user agent's app id
// (at most 50 characters) and in logs.
var replicaIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,40}$`)

// identity finds this replica's id.
type identity struct {
	// getenv reads the environment (os.Getenv).
	getenv func(string) string
	// hostname returns the host name (os.Hostname).
	hostname func() (string, error)
	// client calls the metadata endpoints.
	client *http.Client
}

// replicaID returns the replica id and where it came from: id when given,
// else the source from names (auto, ecs, ec2 or host). auto takes the ECS
// task when its metadata endpoint is set and answers, else the host.
func (r identity) replicaID(ctx context.Context, id, from string, st config.Store) (string, string, error) {
	if id != "" {
		if !replicaIDRE.MatchString(id) {
			return "", "", fmt.Errorf("--replica-id %q: want 1-40 letters, digits, '.', '_' or '-'", id)
		}
		return id, "flag", nil
	}
	switch from {
	case replicaFromAuto, "":
		if r.getenv(ecsMetadataEnv) != "" {
			if id, err := r.ecsTask(ctx); err == nil {
				return id, replicaFromECS, nil
			}
			// Fall through to the host: ECS's host names are per task in
			// awsvpc mode, and the nonce guards the rest.
		}
		return r.host(st), replicaFromHost, nil
	case replicaFromECS:
		id, err := r.ecsTask(ctx)
		if err != nil {
			return "", "", fmt.Errorf("--replica-id-from ecs: %w", err)
		}
		return id, replicaFromECS, nil
	case replicaFromEC2:
		id, err := r.ec2Instance(ctx)
		if err != nil {
			return "", "", fmt.Errorf("--replica-id-from ec2: %w", err)
		}
		return id, replicaFromEC2, nil
	case replicaFromHost:
		return r.host(st), replicaFromHost, nil
	}
	return "", "", fmt.Errorf("--replica-id-from %q: want auto, ecs, ec2 or host", from)
}

// ecsTask returns ecs-<task id> from the task metadata endpoint's TaskARN
// (arn:aws:ecs:<region>:<account>:task/<cluster>/<task id>). The task id
// is unique in its cluster and stays for the task's life, so a container
// restarted in the same task keeps it.
func (r identity) ecsTask(ctx context.Context) (string, error) {
	base := r.getenv(ecsMetadataEnv)
	if base == "" {
		return "", fmt.Errorf("%s is not set (not an ECS task)", ecsMetadataEnv)
	}
	ctx, cancel := context.WithTimeout(ctx, metadataTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/task", nil)
	if err != nil {
		return "", fmt.Errorf("task metadata: %w", err)
	}
	body, err := r.do(req)
	if err != nil {
		return "", fmt.Errorf("task metadata: %w", err)
	}
	var task struct {
		TaskARN string `json:"TaskARN"`
	}
	if err := json.Unmarshal(body, &task); err != nil {
		return "", fmt.Errorf("task metadata: %w", err)
	}
	i := strings.LastIndex(task.TaskARN, "/")
	if !strings.HasPrefix(task.TaskARN, "arn:") || i < 0 {
		return "", fmt.Errorf("task metadata: TaskARN %q is not a task ARN", task.TaskARN)
	}
	id := "ecs-" + task.TaskARN[i+1:]
	if !replicaIDRE.MatchString(id) {
		return "", fmt.Errorf("task metadata: task id in %q does not make a replica id", task.TaskARN)
	}
	return id, nil
}

// ec2Instance returns the instance id from IMDSv2: a session token from
// PUT /latest/api/token, then GET /latest/meta-data/instance-id with it
// ("Use the Instance Metadata Service to access instance metadata", Amazon
// EC2 User Guide).
func (r identity) ec2Instance(ctx context.Context) (string, error) {
	base := r.getenv(imdsEndpointEnv)
	if base == "" {
		base = imdsEndpoint
	}
	base = strings.TrimRight(base, "/")
	ctx, cancel := context.WithTimeout(ctx, metadataTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, base+"/latest/api/token", nil)
	if err != nil {
		return "", fmt.Errorf("instance metadata: %w", err)
	}
	req.Header.Set("X-aws-ec2-metadata-token-ttl-seconds", "60")
	token, err := r.do(req)
	if err != nil {
		return "", fmt.Errorf("instance metadata token: %w", err)
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodGet, base+"/latest/meta-data/instance-id", nil)
	if err != nil {
		return "", fmt.Errorf("instance metadata: %w", err)
	}
	req.Header.Set("X-aws-ec2-metadata-token", string(token))
	body, err := r.do(req)
	if err != nil {
		return "", fmt.Errorf("instance id: %w", err)
	}
	id := strings.TrimSpace(string(body))
	if !replicaIDRE.MatchString(id) {
		return "", fmt.Errorf("instance id %q does not make a replica id", id)
	}
	return id, nil
}

// do sends req and returns the body of a 200 answer, at most 64 KiB.
func (r identity) do(req *http.Request) ([]byte, error) {
	client := r.client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %s", req.Method, req.URL.Path, resp.Status)
	}
	return body, nil
}

// host returns <host>-<hash>: the host name, cut to 30 characters of the
// id's alphabet, and 8 hex digits of the SHA-256 of the state it keeps (the
// bolt file's absolute path, or the DynamoDB table), so two serve processes
// on one host with different state differ, and one restarted keeps its id.
func (r identity) host(st config.Store) string {
	host, err := r.hostname()
	if err != nil || host == "" {
		host = "headroom"
	}
	host = strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' {
			return c
		}
		return '-'
	}, host)
	if len(host) > 30 {
		host = host[:30]
	}
	sum := sha256.Sum256([]byte(stateName(st)))
	return host + "-" + hex.EncodeToString(sum[:4])
}

// stateName names the state a store keeps: dynamodb:<table> or the bolt
// file's absolute path.
func stateName(st config.Store) string {
	if st.Backend == config.BackendDynamoDB {
		return "dynamodb:" + st.Table
	}
	if abs, err := filepath.Abs(st.Path); err == nil {
		return abs
	}
	return st.Path
}

// osIdentity reads the real environment and host name.
func osIdentity() identity {
	return identity{getenv: os.Getenv, hostname: os.Hostname, client: &http.Client{Timeout: metadataTimeout}}
}
