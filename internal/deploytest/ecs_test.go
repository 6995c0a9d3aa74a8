package deploytest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/schemas"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	smithy "github.com/aws/smithy-go"

	"github.com/headroom-dev/headroom/internal/config"
)

// ecsDir holds the ECS task and service definitions.
const ecsDir = "../../deploy/ecs"

// measuredPeakRSSMiB is serve's peak resident memory managing 2,000 groups
// (docs/architecture.md, "Cost of a cycle", `scripts/footprint.sh 2000
// 60`). The task's memory must leave room for twice that.
const measuredPeakRSSMiB = 82

// fargateMemoryMiB lists the memory sizes Fargate accepts for each CPU
// size up to 1 vCPU ("Task size", Amazon ECS Developer Guide: task CPU and
// memory combinations for Fargate).
var fargateMemoryMiB = map[string][]string{
	"256":  {"512", "1024", "2048"},
	"512":  {"1024", "2048", "3072", "4096"},
	"1024": {"2048", "3072", "4096", "5120", "6144", "7168", "8192"},
}

// healthcheckCommand is the container health check: the image has no
// shell, so the binary checks its own /healthz.
var healthcheckCommand = []string{"CMD", "/headroom", "healthcheck"}

// configEnv is the environment variable the config reaches the container
// in, from an SSM SecureString parameter.
const configEnv = "HEADROOM_CONFIG"

// adminPort is the port of the listener the task exposes: the config's
// default listen address, which the Terraform module also forces.
func adminPort(t *testing.T) int32 {
	t.Helper()
	_, p, err := net.SplitHostPort(config.DefaultListen)
	if err != nil {
		t.Fatalf("config.DefaultListen %q: %v", config.DefaultListen, err)
	}
	n, err := strconv.ParseInt(p, 10, 32)
	if err != nil {
		t.Fatalf("config.DefaultListen %q: %v", config.DefaultListen, err)
	}
	return int32(n)
}

// decodeECS decodes data, written as the ECS API's JSON (what
// `aws ecs register-task-definition --cli-input-json` takes), into v, the
// SDK's input type for the operation whose request schema is schema.
//
// encoding/json matches keys to Go fields without regard to case, so
// DisallowUnknownFields alone would accept "Family" or "FAMILY" and the
// file would then fail in the CLI. The document is therefore also walked
// against the SDK's own Smithy schema, where member names are the exact
// wire names, and every enum value is checked against the SDK's list.
func decodeECS(data []byte, v any, schema *smithy.Schema) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode into %T: %w", v, err)
	}
	if dec.More() {
		return fmt.Errorf("decode into %T: more than one JSON value", v)
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	var problems []string
	walkSchema("", doc, schema, &problems)
	checkEnums("", reflect.ValueOf(v), &problems)
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// walkSchema checks that doc has the shape s describes: every object key
// is a member of the structure, spelled as on the wire, and every scalar
// has the member's type.
func walkSchema(at string, doc any, s *smithy.Schema, problems *[]string) {
	bad := func(format string, args ...any) {
		*problems = append(*problems, fmt.Sprintf("%s: %s", orRoot(at), fmt.Sprintf(format, args...)))
	}
	switch s.Type() {
	case smithy.ShapeTypeStructure, smithy.ShapeTypeUnion:
		m, ok := doc.(map[string]any)
		if !ok {
			bad("want an object, got %T", doc)
			return
		}
		for k, v := range m {
			member := s.Member(k)
			if member == nil {
				bad("%q is not a member of %s", k, shapeName(s))
				continue
			}
			walkSchema(at+"."+k, v, member, problems)
		}
	case smithy.ShapeTypeList, smithy.ShapeTypeSet:
		l, ok := doc.([]any)
		if !ok {
			bad("want an array, got %T", doc)
			return
		}
		for i, v := range l {
			walkSchema(fmt.Sprintf("%s[%d]", at, i), v, s.ListMember(), problems)
		}
	case smithy.ShapeTypeMap:
		m, ok := doc.(map[string]any)
		if !ok {
			bad("want an object, got %T", doc)
			return
		}
		for k, v := range m {
			walkSchema(at+"."+k, v, s.MapValue(), problems)
		}
	case smithy.ShapeTypeString, smithy.ShapeTypeEnum:
		if _, ok := doc.(string); !ok {
			bad("want a string, got %T", doc)
		}
	case smithy.ShapeTypeBoolean:
		if _, ok := doc.(bool); !ok {
			bad("want a boolean, got %T", doc)
		}
	case smithy.ShapeTypeByte, smithy.ShapeTypeShort, smithy.ShapeTypeInteger, smithy.ShapeTypeLong, smithy.ShapeTypeIntEnum:
		if f, ok := doc.(float64); !ok || f != math.Trunc(f) {
			bad("want an integer, got %v", doc)
		}
	case smithy.ShapeTypeFloat, smithy.ShapeTypeDouble:
		if _, ok := doc.(float64); !ok {
			bad("want a number, got %T", doc)
		}
	}
}

func shapeName(s *smithy.Schema) string {
	if s.TargetID().Name != "" {
		return s.TargetID().Name
	}
	return s.ID().Name
}

func orRoot(at string) string {
	if at == "" {
		return "(document)"
	}
	return strings.TrimPrefix(at, ".")
}

// checkEnums reports every SDK enum value in v that is not one of the
// values the SDK lists (its Values method).
func checkEnums(at string, v reflect.Value, problems *[]string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			checkEnums(at, v.Elem(), problems)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.IsExported() {
				checkEnums(at+"."+f.Name, v.Field(i), problems)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			checkEnums(fmt.Sprintf("%s[%d]", at, i), v.Index(i), problems)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			checkEnums(fmt.Sprintf("%s[%v]", at, k), v.MapIndex(k), problems)
		}
	case reflect.String:
		values := v.MethodByName("Values")
		if !values.IsValid() || v.String() == "" {
			return
		}
		allowed := values.Call(nil)[0]
		for i := range allowed.Len() {
			if allowed.Index(i).String() == v.String() {
				return
			}
		}
		*problems = append(*problems, fmt.Sprintf("%s: %q is not a %s", orRoot(at), v.String(), v.Type().Name()))
	}
}

// capturedCall is one request the fake ECS endpoint received.
type capturedCall struct {
	target string
	body   []byte
}

// sendECS runs call with a real ECS client pointed at a local endpoint
// that answers every operation with an empty JSON object, and returns the
// request the client sent. The SDK's own validation of required members
// runs on the way.
func sendECS(t *testing.T, call func(context.Context, *ecs.Client) error) capturedCall {
	t.Helper()
	var (
		mu  sync.Mutex
		got []capturedCall
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, capturedCall{target: r.Header.Get("X-Amz-Target"), body: body})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, "{}")
	}))
	t.Cleanup(srv.Close)
	client := ecs.New(ecs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   srv.Client(),
	})
	if err := call(context.Background(), client); err != nil {
		t.Fatalf("ECS call: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("the endpoint received %d requests, want 1", len(got))
	}
	return got[0]
}

// sameAsSent fails t unless the file's JSON is what the client sent,
// except for members the file sets to false that the SDK leaves out
// (it omits a false non-pointer boolean such as enableExecuteCommand).
func sameAsSent(t *testing.T, file []byte, sent capturedCall) {
	t.Helper()
	var want, got any
	if err := json.Unmarshal(file, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(sent.body, &got); err != nil {
		t.Fatalf("request body: %v", err)
	}
	dropOmittedFalse(want, got)
	if !reflect.DeepEqual(want, got) {
		t.Errorf("%s: the SDK sent\n%s\nthe file says\n%s", sent.target, sent.body, file)
	}
}

func dropOmittedFalse(want, got any) {
	wm, ok := want.(map[string]any)
	if !ok {
		if wl, ok := want.([]any); ok {
			gl, _ := got.([]any)
			for i := range min(len(wl), len(gl)) {
				dropOmittedFalse(wl[i], gl[i])
			}
		}
		return
	}
	gm, _ := got.(map[string]any)
	for k, v := range wm {
		g, sent := gm[k]
		if !sent && v == false {
			delete(wm, k)
			continue
		}
		dropOmittedFalse(v, g)
	}
}

// readECS reads a file of deploy/ecs.
func readECS(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(ecsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// loadTaskDefinition decodes, checks and sends one task definition file.
func loadTaskDefinition(t *testing.T, name string) *ecs.RegisterTaskDefinitionInput {
	t.Helper()
	data := readECS(t, name)
	var in ecs.RegisterTaskDefinitionInput
	if err := decodeECS(data, &in, schemas.RegisterTaskDefinitionRequest); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	sent := sendECS(t, func(ctx context.Context, c *ecs.Client) error {
		_, err := c.RegisterTaskDefinition(ctx, &in)
		return err
	})
	sameAsSent(t, data, sent)
	return &in
}

func TestECSDecodeRejects(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"unknown member", `{"family":"headroom","famliy":"x"}`, "famliy"},
		{"member spelled as the Go field", `{"Family":"headroom"}`, `"Family" is not a member`},
		{"wrong case", `{"family":"headroom","networkmode":"awsvpc"}`, `"networkmode" is not a member`},
		{"unknown enum value", `{"family":"headroom","requiresCompatibilities":["FARGAT"]}`, `"FARGAT" is not a Compatibility`},
		{"wrong scalar type", `{"family":"headroom","containerDefinitions":[{"name":"a","stopTimeout":"15"}]}`, "StopTimeout"},
		{"nested unknown member", `{"containerDefinitions":[{"name":"a","healthcheck":{}}]}`, `"healthcheck" is not a member`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var in ecs.RegisterTaskDefinitionInput
			err := decodeECS([]byte(tc.doc), &in, schemas.RegisterTaskDefinitionRequest)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("decodeECS(%s) = %v, want an error naming %q", tc.doc, err, tc.want)
			}
		})
	}
}

func TestECSTaskDefinitions(t *testing.T) {
	tests := []struct {
		file string
		// configFile is where the config is read from; empty means the
		// SSM parameter in $HEADROOM_CONFIG.
		configFile string
	}{
		{file: "task-definition.json"},
		{file: "task-definition-s3.json", configFile: "/etc/headroom/headroom.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			td := loadTaskDefinition(t, tc.file)
			checkTaskSize(t, td)
			if got := aws.ToString(td.Family); got != "headroom" {
				t.Errorf("family = %q, want headroom", got)
			}
			for _, c := range []types.Compatibility{types.CompatibilityFargate, types.CompatibilityEc2} {
				if !slices.Contains(td.RequiresCompatibilities, c) {
					t.Errorf("requiresCompatibilities = %v, want %s in it", td.RequiresCompatibilities, c)
				}
			}
			if td.NetworkMode != types.NetworkModeAwsvpc {
				t.Errorf("networkMode = %q, want awsvpc", td.NetworkMode)
			}
			for name, arn := range map[string]*string{"taskRoleArn": td.TaskRoleArn, "executionRoleArn": td.ExecutionRoleArn} {
				if a := aws.ToString(arn); !strings.HasPrefix(a, "arn:aws:iam::") || !strings.Contains(a, ":role/") {
					t.Errorf("%s = %q, want an IAM role ARN", name, a)
				}
			}
			c := containerNamed(t, td.ContainerDefinitions, "headroom")
			if tc.configFile == "" {
				checkHeadroomContainer(t, c, []string{"serve", "--config-env", configEnv})
				checkConfigSecret(t, c)
				return
			}
			checkHeadroomContainer(t, c, []string{"serve", "--config", tc.configFile})
			checkConfigCopy(t, td, c, tc.configFile)
		})
	}
}

// checkTaskSize checks the task's CPU and memory: a size Fargate runs, with
// memory at least twice the measured peak RSS.
func checkTaskSize(t *testing.T, td *ecs.RegisterTaskDefinitionInput) {
	t.Helper()
	cpu, mem := aws.ToString(td.Cpu), aws.ToString(td.Memory)
	if !slices.Contains(fargateMemoryMiB[cpu], mem) {
		t.Errorf("cpu %q with memory %q is not a Fargate task size", cpu, mem)
	}
	if n, err := strconv.Atoi(mem); err != nil || n < 2*measuredPeakRSSMiB {
		t.Errorf("memory = %q MiB, want at least %d MiB (twice the measured peak RSS)", mem, 2*measuredPeakRSSMiB)
	}
}

func containerNamed(t *testing.T, cs []types.ContainerDefinition, name string) types.ContainerDefinition {
	t.Helper()
	for _, c := range cs {
		if aws.ToString(c.Name) == name {
			return c
		}
	}
	t.Fatalf("no container named %q", name)
	return types.ContainerDefinition{}
}

// checkHeadroomContainer checks the daemon's container: what the image
// needs to run (a read-only root, a non-root user, no shell) and what the
// service needs of it (the admin port, a health check, a stop timeout that
// covers serve's own shutdown grace, logs in CloudWatch).
func checkHeadroomContainer(t *testing.T, c types.ContainerDefinition, command []string) {
	t.Helper()
	if aws.ToString(c.Image) == "" {
		t.Error("image is empty")
	}
	if !aws.ToBool(c.Essential) {
		t.Error("essential is not true")
	}
	if !slices.Equal(c.Command, command) {
		t.Errorf("command = %q, want %q", c.Command, command)
	}
	if got := aws.ToString(c.User); got != "65532" {
		t.Errorf("user = %q, want 65532 (nonroot)", got)
	}
	if !aws.ToBool(c.ReadonlyRootFilesystem) {
		t.Error("readonlyRootFilesystem is not true")
	}
	if got := aws.ToInt32(c.StopTimeout); got != 15 {
		t.Errorf("stopTimeout = %d, want 15 (serve stops within 10 s of SIGTERM)", got)
	}
	port := adminPort(t)
	if !slices.ContainsFunc(c.PortMappings, func(p types.PortMapping) bool {
		return aws.ToInt32(p.ContainerPort) == port && p.Protocol == types.TransportProtocolTcp
	}) {
		t.Errorf("portMappings = %+v, want tcp %d", c.PortMappings, port)
	}
	if c.HealthCheck == nil || !slices.Equal(c.HealthCheck.Command, healthcheckCommand) {
		t.Errorf("healthCheck = %+v, want command %q", c.HealthCheck, healthcheckCommand)
	}
	lc := c.LogConfiguration
	if lc == nil || lc.LogDriver != types.LogDriverAwslogs {
		t.Fatalf("logConfiguration = %+v, want the awslogs driver", lc)
	}
	for _, k := range []string{"awslogs-group", "awslogs-region", "awslogs-stream-prefix"} {
		if lc.Options[k] == "" {
			t.Errorf("logConfiguration.options[%q] is empty", k)
		}
	}
	for _, e := range c.Environment {
		if aws.ToString(e.Name) == configEnv {
			t.Errorf("environment sets %s in plain text; it must come from secrets", configEnv)
		}
	}
}

// checkConfigSecret checks that the config reaches the container from an
// SSM parameter named by ARN.
func checkConfigSecret(t *testing.T, c types.ContainerDefinition) {
	t.Helper()
	for _, s := range c.Secrets {
		if aws.ToString(s.Name) != configEnv {
			continue
		}
		if v := aws.ToString(s.ValueFrom); !strings.HasPrefix(v, "arn:aws:ssm:") || !strings.Contains(v, ":parameter/") {
			t.Errorf("secret %s comes from %q, want an SSM parameter ARN", configEnv, v)
		}
		return
	}
	t.Errorf("secrets = %+v, want %s", c.Secrets, configEnv)
}

// checkConfigCopy checks the S3 variant: a non-essential container copies
// the config into a task volume, and the daemon starts once that copy has
// succeeded and mounts the volume read-only where --config points.
func checkConfigCopy(t *testing.T, td *ecs.RegisterTaskDefinitionInput, c types.ContainerDefinition, configFile string) {
	t.Helper()
	dir := path.Dir(configFile)
	mount := func(c types.ContainerDefinition) *types.MountPoint {
		for i, m := range c.MountPoints {
			if aws.ToString(m.ContainerPath) == dir {
				return &c.MountPoints[i]
			}
		}
		t.Fatalf("container %q mounts nothing at %s", aws.ToString(c.Name), dir)
		return nil
	}
	m := mount(c)
	if !aws.ToBool(m.ReadOnly) {
		t.Errorf("headroom mounts %s writable, want read-only", dir)
	}
	if len(c.Secrets) > 0 {
		t.Errorf("secrets = %+v, want none: the config comes from the volume", c.Secrets)
	}
	if len(c.DependsOn) != 1 || c.DependsOn[0].Condition != types.ContainerConditionSuccess {
		t.Fatalf("dependsOn = %+v, want one container with condition SUCCESS", c.DependsOn)
	}
	init := containerNamed(t, td.ContainerDefinitions, aws.ToString(c.DependsOn[0].ContainerName))
	if aws.ToBool(init.Essential) {
		t.Errorf("container %q is essential; a container that exits must not be", aws.ToString(init.Name))
	}
	if !slices.Contains(init.Command, configFile) || !slices.ContainsFunc(init.Command, func(a string) bool { return strings.HasPrefix(a, "s3://") }) {
		t.Errorf("container %q runs %q, want a copy from s3:// to %s", aws.ToString(init.Name), init.Command, configFile)
	}
	if im := mount(init); aws.ToString(im.SourceVolume) != aws.ToString(m.SourceVolume) {
		t.Errorf("the copy writes volume %q, headroom reads %q", aws.ToString(im.SourceVolume), aws.ToString(m.SourceVolume))
	}
	if !slices.ContainsFunc(td.Volumes, func(v types.Volume) bool { return aws.ToString(v.Name) == aws.ToString(m.SourceVolume) }) {
		t.Errorf("volumes = %+v, want %q", td.Volumes, aws.ToString(m.SourceVolume))
	}
}

func TestECSService(t *testing.T) {
	data := readECS(t, "service.json")
	var in ecs.CreateServiceInput
	if err := decodeECS(data, &in, schemas.CreateServiceRequest); err != nil {
		t.Fatalf("service.json: %v", err)
	}
	sent := sendECS(t, func(ctx context.Context, c *ecs.Client) error {
		_, err := c.CreateService(ctx, &in)
		return err
	})
	sameAsSent(t, data, sent)

	td := loadTaskDefinition(t, "task-definition.json")
	checks := []struct {
		name string
		ok   bool
		got  any
	}{
		{"taskDefinition is the task family", aws.ToString(in.TaskDefinition) == aws.ToString(td.Family), aws.ToString(in.TaskDefinition)},
		{"desiredCount is 2", aws.ToInt32(in.DesiredCount) == 2, aws.ToInt32(in.DesiredCount)},
		{"launchType is FARGATE", in.LaunchType == types.LaunchTypeFargate, in.LaunchType},
		{"circuit breaker enabled with rollback", in.DeploymentConfiguration != nil && in.DeploymentConfiguration.DeploymentCircuitBreaker != nil &&
			in.DeploymentConfiguration.DeploymentCircuitBreaker.Enable && in.DeploymentConfiguration.DeploymentCircuitBreaker.Rollback, in.DeploymentConfiguration},
		// A rolling update starts a new task before it stops an old one,
		// so a follower is always there to take the lease from a leader
		// that drains.
		{"minimumHealthyPercent is 100", in.DeploymentConfiguration != nil && aws.ToInt32(in.DeploymentConfiguration.MinimumHealthyPercent) == 100, in.DeploymentConfiguration},
		{"maximumPercent is 200", in.DeploymentConfiguration != nil && aws.ToInt32(in.DeploymentConfiguration.MaximumPercent) == 200, in.DeploymentConfiguration},
		{"awsvpc subnets and security groups", in.NetworkConfiguration != nil && in.NetworkConfiguration.AwsvpcConfiguration != nil &&
			len(in.NetworkConfiguration.AwsvpcConfiguration.Subnets) > 0 && len(in.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups) > 0, in.NetworkConfiguration},
		{"no public IP", in.NetworkConfiguration != nil && in.NetworkConfiguration.AwsvpcConfiguration != nil &&
			in.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp == types.AssignPublicIpDisabled, in.NetworkConfiguration},
		{"execute command off", !in.EnableExecuteCommand, in.EnableExecuteCommand},
		{"tags propagate from the service", in.PropagateTags == types.PropagateTagsService, in.PropagateTags},
		{"enableExecuteCommand written out", bytes.Contains(data, []byte(`"enableExecuteCommand": false`)), "absent"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !c.ok {
				t.Errorf("got %+v", c.got)
			}
		})
	}
}
