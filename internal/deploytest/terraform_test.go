package deploytest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/schemas"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	"go.yaml.in/yaml/v3"

	"github.com/headroom-dev/headroom/internal/awsapi"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/store/dynamo"
)

// Terraform directories: the module, its example and the role for other
// accounts.
const (
	tfModuleDir     = "../../terraform"
	tfExampleDir    = "../../terraform/examples/basic"
	tfTargetRoleDir = "../../terraform/modules/target-role"
)

// tfModule is a directory of .tf files, indexed by what the tests look up.
type tfModule struct {
	dir       string
	variables map[string]*hclsyntax.Block
	locals    map[string]hclsyntax.Expression
	outputs   map[string]hclsyntax.Expression // output name: its value
	// blocks holds resources ("aws_iam_role.task"), data sources
	// ("data.aws_iam_policy_document.task") and modules ("module.x").
	blocks map[string]*hclsyntax.Block
}

// loadTF parses every .tf file of dir.
func loadTF(t *testing.T, dir string) *tfModule {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .tf files in %s (%v)", dir, err)
	}
	m := &tfModule{dir: dir, variables: map[string]*hclsyntax.Block{}, locals: map[string]hclsyntax.Expression{}, outputs: map[string]hclsyntax.Expression{}, blocks: map[string]*hclsyntax.Block{}}
	p := hclparse.NewParser()
	for _, f := range files {
		file, diags := p.ParseHCLFile(f)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", f, diags)
		}
		for _, b := range file.Body.(*hclsyntax.Body).Blocks {
			switch b.Type {
			case "variable":
				m.variables[b.Labels[0]] = b
			case "locals":
				for name, a := range b.Body.Attributes {
					m.locals[name] = a.Expr
				}
			case "resource":
				m.blocks[b.Labels[0]+"."+b.Labels[1]] = b
			case "data":
				m.blocks["data."+b.Labels[0]+"."+b.Labels[1]] = b
			case "output":
				if v, ok := b.Body.Attributes["value"]; ok {
					m.outputs[b.Labels[0]] = v.Expr
				}
			case "module":
				m.blocks["module."+b.Labels[0]] = b
			}
		}
	}
	return m
}

// block returns the block at address, failing t if there is none.
func (m *tfModule) block(t *testing.T, address string) *hclsyntax.Block {
	t.Helper()
	b, ok := m.blocks[address]
	if !ok {
		t.Fatalf("%s: no %s", m.dir, address)
	}
	return b
}

// attr returns the expression of a block's attribute, failing t if unset.
func attr(t *testing.T, b *hclsyntax.Block, name string) hclsyntax.Expression {
	t.Helper()
	a, ok := b.Body.Attributes[name]
	if !ok {
		t.Fatalf("%s %q: no attribute %s", b.Type, strings.Join(b.Labels, "."), name)
	}
	return a.Expr
}

// nested returns the blocks of type typ inside b.
func nested(b *hclsyntax.Block, typ string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, n := range b.Body.Blocks {
		if n.Type == typ {
			out = append(out, n)
		}
	}
	return out
}

// refersTo returns the address an expression refers to ("aws_iam_role.task"),
// when it is a single reference such as aws_iam_role.task.arn.
func refersTo(expr hclsyntax.Expression) string {
	vars := expr.Variables()
	if len(vars) != 1 {
		return ""
	}
	var parts []string
	for _, step := range vars[0] {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			parts = append(parts, s.Name)
		case hcl.TraverseAttr:
			parts = append(parts, s.Name)
		}
	}
	n := 2
	if parts[0] == "data" {
		n = 3
	}
	if len(parts) < n {
		return ""
	}
	return strings.Join(parts[:n], ".")
}

// refersOnlyTo returns the one address every reference of expr is to
// ("var.enable_ecs" for var.enable_ecs ? [1] : []), or "" when expr refers
// to none or to several.
func refersOnlyTo(expr hclsyntax.Expression) string {
	var addr string
	for _, tr := range expr.Variables() {
		parts := []string{tr.RootName()}
		for _, step := range tr[1:] {
			if a, ok := step.(hcl.TraverseAttr); ok {
				parts = append(parts, a.Name)
			}
		}
		if len(parts) < 2 {
			return ""
		}
		a := strings.Join(parts[:2], ".")
		if addr != "" && a != addr {
			return ""
		}
		addr = a
	}
	return addr
}

// tfSample are the values the tests give the module's variables, and the
// attributes of data sources they stand in for.
var tfSample = map[string]cty.Value{
	"var.name":           cty.StringVal("headroom"),
	"var.image":          cty.StringVal("111122223333.dkr.ecr.us-east-1.amazonaws.com/headroom:1.0.0"),
	"var.managed_groups": cty.ListVal([]cty.Value{cty.StringVal("web"), cty.StringVal("worker")}),
	"var.vpc_id":         cty.StringVal("vpc-0abc"),
	"var.subnets":        cty.ListVal([]cty.Value{cty.StringVal("subnet-0a"), cty.StringVal("subnet-0b")}),
	"var.config_yaml":    cty.StringVal("groups: []\n"),
	"var.admin_cidr_blocks": cty.ListVal([]cty.Value{
		cty.StringVal("10.0.0.0/8"),
	}),
	"data.aws_region.current.region":              cty.StringVal("us-east-1"),
	"data.aws_caller_identity.current.account_id": cty.StringVal("111122223333"),
	"data.aws_partition.current.partition":        cty.StringVal("aws"),
	"aws_ssm_parameter.config.version":            cty.NumberIntVal(3),
}

// fakeARNs stands in for the ARNs of resources the module creates.
var fakeARNs = map[string]string{
	"aws_ssm_parameter":       "arn:aws:ssm:us-east-1:111122223333:parameter/headroom/config",
	"aws_iam_role":            "arn:aws:iam::111122223333:role/",
	"aws_dynamodb_table":      "arn:aws:dynamodb:us-east-1:111122223333:table/headroom",
	"aws_ecs_task_definition": "arn:aws:ecs:us-east-1:111122223333:task-definition/headroom:1",
}

// eval evaluates expr as Terraform would with the sample variables:
// variables from tfSample or their defaults, locals evaluated in turn,
// and every other reference a stand-in string (an ARN for ".arn").
func (m *tfModule) eval(expr hcl.Expression) (cty.Value, error) {
	return m.evalWith(expr, nil)
}

func (m *tfModule) evalWith(expr hcl.Expression, extra map[string]cty.Value) (cty.Value, error) {
	tree := map[string]any{}
	for _, tr := range expr.Variables() {
		// The path stops at the first index: the stand-in is the value
		// before it.
		var path []string
	steps:
		for _, step := range tr {
			switch s := step.(type) {
			case hcl.TraverseRoot:
				path = append(path, s.Name)
			case hcl.TraverseAttr:
				path = append(path, s.Name)
			default:
				break steps
			}
		}
		key := strings.Join(path, ".")
		var v cty.Value
		switch {
		case extra[key] != cty.NilVal:
			v = extra[key]
		case tfSample[key] != cty.NilVal:
			v = tfSample[key]
		case path[0] == "var" && len(path) >= 2:
			b, ok := m.variables[path[1]]
			if !ok {
				return cty.NilVal, fmt.Errorf("%s: no such variable", key)
			}
			def, ok := b.Body.Attributes["default"]
			if !ok {
				return cty.NilVal, fmt.Errorf("%s: no sample value and no default", key)
			}
			d, diags := def.Expr.Value(nil)
			if diags.HasErrors() {
				return cty.NilVal, fmt.Errorf("%s default: %v", key, diags)
			}
			path, v = path[:2], d
		case path[0] == "local" && len(path) >= 2:
			e, ok := m.locals[path[1]]
			if !ok {
				return cty.NilVal, fmt.Errorf("%s: no such local", key)
			}
			lv, err := m.evalWith(e, extra)
			if err != nil {
				return cty.NilVal, fmt.Errorf("%s: %w", key, err)
			}
			path, v = path[:2], lv
		case path[len(path)-1] == "arn":
			arn, ok := fakeARNs[path[0]]
			if !ok {
				arn = "arn:aws:" + path[0] + ":us-east-1:111122223333:" + path[1]
			}
			if strings.HasSuffix(arn, "/") {
				arn += path[1]
			}
			v = cty.StringVal(arn)
		default:
			v = cty.StringVal("${" + key + "}")
		}
		setPath(tree, path, v)
	}
	vars := map[string]cty.Value{}
	for k, v := range tree {
		vars[k] = treeValue(v)
	}
	v, diags := expr.Value(&hcl.EvalContext{Variables: vars, Functions: tfFunctions})
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	return v, nil
}

func setPath(tree map[string]any, path []string, v cty.Value) {
	for _, p := range path[:len(path)-1] {
		next, ok := tree[p].(map[string]any)
		if !ok {
			if _, leaf := tree[p].(cty.Value); leaf {
				return
			}
			next = map[string]any{}
			tree[p] = next
		}
		tree = next
	}
	last := path[len(path)-1]
	if _, ok := tree[last].(map[string]any); !ok {
		tree[last] = v
	}
}

func treeValue(n any) cty.Value {
	if v, ok := n.(cty.Value); ok {
		return v
	}
	attrs := map[string]cty.Value{}
	for k, c := range n.(map[string]any) {
		attrs[k] = treeValue(c)
	}
	return cty.ObjectVal(attrs)
}

// tfFunctions are the Terraform functions the module's tested
// expressions call, with Terraform's meaning.
var tfFunctions = map[string]function.Function{
	"alltrue":     allTrueFunc,
	"can":         tryfunc.CanFunc,
	"cidrnetmask": cidrNetmaskFunc,
	"contains":    stdlib.ContainsFunc,
	"floor":       stdlib.FloorFunc,
	"jsonencode":  stdlib.JSONEncodeFunc,
	"length":      lengthFunc,
	"merge":       stdlib.MergeFunc,
	"regex":       stdlib.RegexFunc,
	"join":        stdlib.JoinFunc,
	"range":       stdlib.RangeFunc,
	"tostring":    toStringFunc,
	"trimspace":   stdlib.TrimSpaceFunc,
	"try":         tryfunc.TryFunc,
	"yamldecode":  yamlDecodeFunc,
}

var allTrueFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.List(cty.Bool)}},
	Type:   function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		for it := args[0].ElementIterator(); it.Next(); {
			if _, v := it.Element(); v.False() {
				return cty.False, nil
			}
		}
		return cty.True, nil
	},
})

var lengthFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType}},
	Type:   function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		if args[0].Type() == cty.String {
			return stdlib.Strlen(args[0])
		}
		return args[0].Length(), nil
	},
})

var toStringFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "v", Type: cty.DynamicPseudoType}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return convert.Convert(args[0], cty.String)
	},
})

var cidrNetmaskFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "prefix", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		_, n, err := net.ParseCIDR(args[0].AsString())
		if err != nil {
			return cty.NilVal, err
		}
		if n.IP.To4() == nil {
			return cty.NilVal, fmt.Errorf("%s is not IPv4", args[0].AsString())
		}
		return cty.StringVal(net.IP(n.Mask).String()), nil
	},
})

// yamlDecodeFunc checks only that its argument is YAML: the tests use it
// inside can().
var yamlDecodeFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "src", Type: cty.String}},
	Type:   function.StaticReturnType(cty.DynamicPseudoType),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		var v any
		if err := yaml.Unmarshal([]byte(args[0].AsString()), &v); err != nil {
			return cty.NilVal, err
		}
		return cty.EmptyObjectVal, nil
	},
})

// evalString evaluates expr to a string, failing t otherwise.
func (m *tfModule) evalString(t *testing.T, expr hcl.Expression) string {
	t.Helper()
	v, err := m.eval(expr)
	if err != nil {
		t.Fatalf("evaluate %s: %v", exprText(expr), err)
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil || !s.IsKnown() || s.IsNull() {
		t.Fatalf("%s = %#v, want a string", exprText(expr), v)
	}
	return s.AsString()
}

// evalStrings evaluates expr to a list of strings, failing t otherwise.
func (m *tfModule) evalStrings(t *testing.T, expr hcl.Expression) []string {
	t.Helper()
	v, err := m.eval(expr)
	if err != nil {
		t.Fatalf("evaluate %s: %v", exprText(expr), err)
	}
	l, err := convert.Convert(v, cty.List(cty.String))
	if err != nil {
		t.Fatalf("%s = %#v, want a list of strings", exprText(expr), v)
	}
	var out []string
	for it := l.ElementIterator(); it.Next(); {
		_, e := it.Element()
		out = append(out, e.AsString())
	}
	return out
}

func exprText(expr hcl.Expression) string {
	r := expr.Range()
	src, err := os.ReadFile(r.Filename)
	if err != nil || r.End.Byte > len(src) {
		return r.String()
	}
	return string(src[r.Start.Byte:r.End.Byte])
}

func TestTerraformFilesParseAndAreFormatted(t *testing.T) {
	var files []string
	for _, dir := range []string{tfModuleDir, tfExampleDir, tfTargetRoleDir} {
		fs, err := filepath.Glob(filepath.Join(dir, "*.tf"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fs...)
	}
	if len(files) < 14 {
		t.Fatalf("found %d .tf files, want the modules' and the example's", len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimPrefix(f, "../../"), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if _, diags := hclparse.NewParser().ParseHCL(src, f); diags.HasErrors() {
				t.Fatalf("parse: %v", diags)
			}
			if got := hclwrite.Format(src); !bytes.Equal(got, src) {
				t.Errorf("not formatted as `terraform fmt` would; want\n%s", got)
			}
		})
	}
}

// TestTerraformVersions checks that every configuration requires the AWS
// provider 6 or later: the modules read aws_region's region attribute,
// which 6.0 added and which replaces the deprecated name.
func TestTerraformVersions(t *testing.T) {
	for _, f := range []string{
		filepath.Join(tfModuleDir, "versions.tf"),
		filepath.Join(tfExampleDir, "main.tf"),
		filepath.Join(tfTargetRoleDir, "versions.tf"),
	} {
		t.Run(strings.TrimPrefix(f, "../../"), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			file, diags := hclparse.NewParser().ParseHCL(src, f)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			var providers []*hclsyntax.Block
			for _, b := range file.Body.(*hclsyntax.Body).Blocks {
				providers = append(providers, nested(b, "required_providers")...)
			}
			if len(providers) == 0 {
				t.Fatal("no required_providers")
			}
			v, diags := attr(t, providers[0], "aws").Value(nil)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if got := v.GetAttr("version").AsString(); got != ">= 6.0" {
				t.Errorf("aws provider version = %q, want >= 6.0", got)
			}
		})
	}
}

// TestTerraformVariables checks that every variable is typed and described,
// and that the validations accept and refuse what they should.
func TestTerraformVariables(t *testing.T) {
	m := loadTF(t, tfModuleDir)
	for name, b := range m.variables {
		t.Run(name+" typed and described", func(t *testing.T) {
			attr(t, b, "type")
			d, diags := attr(t, b, "description").Value(nil)
			if diags.HasErrors() || d.AsString() == "" {
				t.Errorf("description is empty")
			}
		})
	}
	if b := m.variables["config_yaml"]; b == nil {
		t.Fatal("no variable config_yaml")
	} else if v, _ := attr(t, b, "sensitive").Value(nil); !v.True() {
		t.Error("config_yaml is not sensitive")
	}

	list := func(s ...string) cty.Value {
		if len(s) == 0 {
			return cty.ListValEmpty(cty.String)
		}
		var vs []cty.Value
		for _, e := range s {
			vs = append(vs, cty.StringVal(e))
		}
		return cty.ListVal(vs)
	}
	tests := []struct {
		variable string
		value    cty.Value
		ok       bool
	}{
		{"name", cty.StringVal("headroom"), true},
		{"name", cty.StringVal(""), false},
		{"name", cty.StringVal("head room"), false},
		{"image", cty.StringVal("repo/headroom:1"), true},
		{"image", cty.StringVal(" "), false},
		{"managed_groups", list("web"), true},
		{"managed_groups", list(), false},
		{"managed_groups", list(""), false},
		{"lease_ttl_seconds", cty.NumberIntVal(3), true},
		{"lease_ttl_seconds", cty.NumberIntVal(300), true},
		{"lease_ttl_seconds", cty.NumberIntVal(2), false},
		{"lease_ttl_seconds", cty.NumberIntVal(301), false},
		{"lease_ttl_seconds", cty.NumberFloatVal(7.5), false},
		{"log_retention_days", cty.NumberIntVal(30), true},
		{"log_retention_days", cty.NumberIntVal(3653), true},
		{"log_retention_days", cty.NumberIntVal(31), false},
		{"log_retention_days", cty.NumberIntVal(0), false},
		{"desired_count", cty.NumberIntVal(1), true},
		{"desired_count", cty.NumberIntVal(0), false},
		{"admin_cidr_blocks", list(), true},
		{"admin_cidr_blocks", list("10.0.0.0/8", "192.0.2.7/32"), true},
		{"admin_cidr_blocks", list("10.0.0.0"), false},
		{"subnets", list("subnet-0a"), true},
		{"subnets", list(), false},
		{"vpc_id", cty.StringVal("vpc-0abc"), true},
		{"vpc_id", cty.StringVal(""), false},
		{"config_yaml", cty.StringVal("groups: []\n"), true},
		{"config_yaml", cty.StringVal("groups: [\n"), false},
		{"cpu", cty.NumberIntVal(256), true},
		{"cpu", cty.NumberIntVal(16384), true},
		{"cpu", cty.NumberIntVal(128), false},
		{"memory", cty.NumberIntVal(768), true},
		{"memory", cty.NumberIntVal(256), false},
		{"target_role_arns", list(), true},
		{"target_role_arns", list("arn:aws:iam::444455556666:role/headroom-target", "arn:aws-us-gov:iam::444455556666:role/ops/headroom"), true},
		{"target_role_arns", list("arn:aws:iam::444455556666:user/headroom"), false},
		{"target_role_arns", list("headroom-target"), false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s=%s", tc.variable, tc.value.GoString()), func(t *testing.T) {
			b, ok := m.variables[tc.variable]
			if !ok {
				t.Fatalf("no variable %s", tc.variable)
			}
			rules := nested(b, "validation")
			if len(rules) == 0 {
				t.Fatalf("variable %s has no validation", tc.variable)
			}
			passed := true
			for _, r := range rules {
				v, err := m.evalWith(attr(t, r, "condition"), map[string]cty.Value{"var." + tc.variable: tc.value})
				if err != nil {
					t.Fatalf("condition: %v", err)
				}
				passed = passed && v.True()
			}
			if passed != tc.ok {
				t.Errorf("validation passed = %t, want %t", passed, tc.ok)
			}
		})
	}
}

// taskRole returns the address of the role the task definition gives the
// daemon.
func taskRole(t *testing.T, m *tfModule) string {
	t.Helper()
	role := refersTo(attr(t, m.block(t, "aws_ecs_task_definition.this"), "task_role_arn"))
	if !strings.HasPrefix(role, "aws_iam_role.") {
		t.Fatalf("task_role_arn refers to %q, want an aws_iam_role", role)
	}
	return role
}

// TestTerraformTaskRoleGrantsExactlyTheActions follows the task role to its
// policies and checks that they grant exactly awsapi.Actions, with each
// write scoped to what it writes.
func TestTerraformTaskRoleGrantsExactlyTheActions(t *testing.T) {
	m := loadTF(t, tfModuleDir)
	role := taskRole(t, m)
	var docs []string
	for addr, b := range m.blocks {
		switch {
		case strings.HasPrefix(addr, "aws_iam_role_policy_attachment."), strings.HasPrefix(addr, "aws_iam_policy_attachment."):
			if refersTo(attr(t, b, "role")) == role {
				t.Errorf("%s attaches a managed policy to the task role; grant only what the code calls", addr)
			}
		case strings.HasPrefix(addr, "aws_iam_role_policy."):
			if refersTo(attr(t, b, "role")) == role {
				docs = append(docs, refersTo(attr(t, b, "policy")))
			}
		}
	}
	if len(docs) == 0 {
		t.Fatalf("no aws_iam_role_policy on %s", role)
	}
	if b := m.block(t, role); b.Body.Attributes["managed_policy_arns"] != nil || len(nested(b, "inline_policy")) > 0 {
		t.Errorf("%s carries policies of its own", role)
	}

	wantGroups := []string{
		"arn:aws:autoscaling:us-east-1:111122223333:autoScalingGroup:*:autoScalingGroupName/web",
		"arn:aws:autoscaling:us-east-1:111122223333:autoScalingGroup:*:autoScalingGroupName/worker",
	}
	writes := []string{
		"autoscaling:CreateOrUpdateTags",
		"autoscaling:DeleteScheduledAction",
		"autoscaling:DeleteTags",
		"autoscaling:PutScheduledUpdateGroupAction",
		"autoscaling:PutWarmPool",
		"autoscaling:SetDesiredCapacity",
		"autoscaling:UpdateAutoScalingGroup",
	}
	// The campaigns queue's actions are granted on that queue alone.
	campaignsQueue := []string{"sqs:DeleteMessage", "sqs:ReceiveMessage"}
	var granted []string
	for _, addr := range docs {
		if !strings.HasPrefix(addr, "data.aws_iam_policy_document.") {
			t.Fatalf("policy refers to %q, want an aws_iam_policy_document", addr)
		}
		for i, st := range nested(m.block(t, addr), "statement") {
			if e, ok := st.Body.Attributes["effect"]; ok {
				if v, _ := e.Expr.Value(nil); v.AsString() != "Allow" {
					t.Errorf("%s statement %d: effect %s", addr, i, v.AsString())
				}
			}
			actions := m.evalStrings(t, attr(t, st, "actions"))
			resources := m.evalStrings(t, attr(t, st, "resources"))
			granted = append(granted, actions...)
			var want []string
			switch {
			case slices.ContainsFunc(actions, func(a string) bool { return slices.Contains(writes, a) }):
				want = wantGroups
			case slices.ContainsFunc(actions, func(a string) bool { return strings.HasPrefix(a, "dynamodb:") }):
				want = []string{fakeARNs["aws_dynamodb_table"]}
			case slices.ContainsFunc(actions, func(a string) bool { return slices.Contains(campaignsQueue, a) }):
				want = []string{"arn:aws:sqs:us-east-1:111122223333:headroom-campaigns"}
			case slices.Contains(actions, "ecs:UpdateService"):
				want = []string{"arn:aws:ecs:us-east-1:111122223333:service/*"}
			default:
				want = []string{"*"}
			}
			for _, a := range actions {
				isWrite, isTable, isQueue := slices.Contains(writes, a), strings.HasPrefix(a, "dynamodb:"), slices.Contains(campaignsQueue, a)
				isService := a == "ecs:UpdateService"
				if (isWrite && !slices.Equal(want, wantGroups)) || (isTable && want[0] != fakeARNs["aws_dynamodb_table"]) ||
					(isQueue && !strings.HasPrefix(want[0], "arn:aws:sqs:")) || (isService && !strings.HasPrefix(want[0], "arn:aws:ecs:")) ||
					(!isWrite && !isTable && !isQueue && !isService && want[0] != "*") {
					t.Errorf("%s statement %d mixes %s with actions of another scope", addr, i, a)
				}
			}
			if !slices.Equal(resources, want) {
				t.Errorf("%s statement %d (%v): resources %q, want %q", addr, i, actions, resources, want)
			}
		}
	}
	// sts:AssumeRole is granted only on target_role_arns, and only when
	// there are some (a dynamic statement).
	want := slices.DeleteFunc(slices.Clone(awsapi.Actions), func(a string) bool { return a == assumeRoleAction })
	if assumes := assumeRoleStatements(t, m, docs); assumes != 1 {
		t.Errorf("%d statements grant %s on target_role_arns, want 1", assumes, assumeRoleAction)
	}
	slices.Sort(granted)
	slices.Sort(want)
	if !slices.Equal(granted, want) {
		t.Errorf("the task role grants %v, the code calls %v", granted, want)
	}
}

// assumeRoleAction is how Headroom reaches a target in another account:
// it assumes the role modules/target-role creates there.
const assumeRoleAction = "sts:AssumeRole"

// assumeRoleStatements checks the dynamic statements of the task role's
// policy documents: each must grant sts:AssumeRole alone, on
// var.target_role_arns alone, and exist only when that list is not
// empty. It returns how many there are.
func assumeRoleStatements(t *testing.T, m *tfModule, docs []string) int {
	t.Helper()
	var n int
	for _, addr := range docs {
		for _, d := range nested(m.block(t, addr), "dynamic") {
			if d.Labels[0] != "statement" {
				continue
			}
			n++
			if got := refersOnlyTo(attr(t, d, "for_each")); got != "var.target_role_arns" {
				t.Errorf("%s: a dynamic statement over %q, want var.target_role_arns", addr, got)
				continue
			}
			for _, tc := range []struct {
				arns []string
				want int
			}{{nil, 0}, {[]string{"arn:aws:iam::444455556666:role/a", "arn:aws:iam::777788889999:role/b"}, 1}} {
				arns := cty.ListValEmpty(cty.String)
				if len(tc.arns) > 0 {
					var vs []cty.Value
					for _, a := range tc.arns {
						vs = append(vs, cty.StringVal(a))
					}
					arns = cty.ListVal(vs)
				}
				each, err := m.evalWith(attr(t, d, "for_each"), map[string]cty.Value{"var.target_role_arns": arns})
				if err != nil {
					t.Fatalf("%s for_each: %v", addr, err)
				}
				if got := each.LengthInt(); got != tc.want {
					t.Errorf("%s: with target_role_arns %v the statement is there %d times, want %d", addr, tc.arns, got, tc.want)
				}
			}
			content := nested(d, "content")
			if len(content) != 1 {
				t.Fatalf("%s: dynamic statement without content", addr)
			}
			if got := m.evalStrings(t, attr(t, content[0], "actions")); !slices.Equal(got, []string{assumeRoleAction}) {
				t.Errorf("%s: the dynamic statement grants %v, want [%s]", addr, got, assumeRoleAction)
			}
			if got := exprText(attr(t, content[0], "resources")); got != "statement.value" {
				t.Errorf("%s: the dynamic statement's resources are %s, want statement.value (the target_role_arns)", addr, got)
			}
		}
	}
	return n
}

// TestTerraformTaskDefinitionMatchesECS renders the module's task
// definition as a RegisterTaskDefinition request and holds it to the same
// rules as deploy/ecs/task-definition.json.
func TestTerraformTaskDefinitionMatchesECS(t *testing.T) {
	m := loadTF(t, tfModuleDir)
	b := m.block(t, "aws_ecs_task_definition.this")
	req := map[string]any{}
	for tfName, apiName := range map[string]string{
		"family": "family", "network_mode": "networkMode", "cpu": "cpu", "memory": "memory",
		"task_role_arn": "taskRoleArn", "execution_role_arn": "executionRoleArn",
	} {
		req[apiName] = m.evalString(t, attr(t, b, tfName))
	}
	req["requiresCompatibilities"] = m.evalStrings(t, attr(t, b, "requires_compatibilities"))
	call, ok := attr(t, b, "container_definitions").(*hclsyntax.FunctionCallExpr)
	if !ok || call.Name != "jsonencode" || len(call.Args) != 1 {
		t.Fatal("container_definitions is not jsonencode([...])")
	}
	containers, err := m.eval(call.Args[0])
	if err != nil {
		t.Fatalf("container_definitions: %v", err)
	}
	raw, err := ctyjson.Marshal(containers, containers.Type())
	if err != nil {
		t.Fatal(err)
	}
	req["containerDefinitions"] = json.RawMessage(raw)
	data, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var in ecs.RegisterTaskDefinitionInput
	if err := decodeECS(data, &in, schemas.RegisterTaskDefinitionRequest); err != nil {
		t.Fatalf("the module's task definition: %v", err)
	}
	sendECS(t, func(ctx context.Context, c *ecs.Client) error {
		_, err := c.RegisterTaskDefinition(ctx, &in)
		return err
	})
	file := loadTaskDefinition(t, "task-definition.json")
	if aws.ToString(in.Family) != aws.ToString(file.Family) || in.NetworkMode != file.NetworkMode ||
		!slices.Equal(in.RequiresCompatibilities, file.RequiresCompatibilities) ||
		aws.ToString(in.Cpu) != aws.ToString(file.Cpu) || aws.ToString(in.Memory) != aws.ToString(file.Memory) {
		t.Errorf("the module's task (%s) differs from deploy/ecs/task-definition.json (%s)", data, readECS(t, "task-definition.json"))
	}
	checkTaskSize(t, &in)
	c := containerNamed(t, in.ContainerDefinitions, "headroom")
	checkHeadroomContainer(t, c, []string{"serve", "--config-env", configEnv})
	checkConfigSecret(t, c)
	if role := refersTo(attr(t, b, "execution_role_arn")); role == taskRole(t, m) {
		t.Error("the execution role is the task role; the daemon must not be able to read its own image registry and secrets")
	}
}

func TestTerraformService(t *testing.T) {
	m := loadTF(t, tfModuleDir)
	b := m.block(t, "aws_ecs_service.this")
	str := func(name string) string { return m.evalString(t, attr(t, b, name)) }
	checks := []struct{ name, got, want string }{
		{"task_definition", refersTo(attr(t, b, "task_definition")), "aws_ecs_task_definition.this"},
		{"desired_count", str("desired_count"), "2"},
		{"launch_type", str("launch_type"), "FARGATE"},
		{"deployment_minimum_healthy_percent", str("deployment_minimum_healthy_percent"), "100"},
		{"deployment_maximum_percent", str("deployment_maximum_percent"), "200"},
		{"enable_execute_command", str("enable_execute_command"), "false"},
		{"propagate_tags", str("propagate_tags"), "SERVICE"},
	}
	cb := nested(b, "deployment_circuit_breaker")
	if len(cb) != 1 {
		t.Fatal("no deployment_circuit_breaker")
	}
	nc := nested(b, "network_configuration")
	if len(nc) != 1 {
		t.Fatal("no network_configuration")
	}
	checks = append(checks,
		struct{ name, got, want string }{"circuit breaker enable", m.evalString(t, attr(t, cb[0], "enable")), "true"},
		struct{ name, got, want string }{"circuit breaker rollback", m.evalString(t, attr(t, cb[0], "rollback")), "true"},
		struct{ name, got, want string }{"subnets", refersTo(attr(t, nc[0], "subnets")), "var.subnets"},
		struct{ name, got, want string }{"security_groups", refersTo(attr(t, nc[0], "security_groups")), "aws_security_group.this"},
		struct{ name, got, want string }{"assign_public_ip", m.evalString(t, attr(t, nc[0], "assign_public_ip")), "false"},
	)
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
			}
		})
	}
}

// createTableRequest runs the store's own CreateTable against a local
// endpoint and returns the request it sent.
func createTableRequest(t *testing.T) dynamodb.CreateTableInput {
	t.Helper()
	var (
		mu   sync.Mutex
		body []byte
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		switch r.Header.Get("X-Amz-Target") {
		case "DynamoDB_20120810.CreateTable":
			mu.Lock()
			body = b
			mu.Unlock()
			_, _ = io.WriteString(w, `{"TableDescription":{"TableName":"headroom","TableStatus":"CREATING"}}`)
		case "DynamoDB_20120810.DescribeTable":
			_, _ = io.WriteString(w, `{"Table":{"TableName":"headroom","TableStatus":"ACTIVE"}}`)
		default:
			http.Error(w, "unexpected operation", http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	client := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   srv.Client(),
	})
	if err := dynamo.New(client, "headroom").CreateTable(context.Background()); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	var in struct {
		BillingMode          string
		AttributeDefinitions []struct{ AttributeName, AttributeType string }
		KeySchema            []struct{ AttributeName, KeyType string }
	}
	if err := json.Unmarshal(body, &in); err != nil {
		t.Fatalf("CreateTable request %s: %v", body, err)
	}
	out := dynamodb.CreateTableInput{BillingMode: ddbtypes.BillingMode(in.BillingMode)}
	for _, a := range in.AttributeDefinitions {
		out.AttributeDefinitions = append(out.AttributeDefinitions, ddbtypes.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName), AttributeType: ddbtypes.ScalarAttributeType(a.AttributeType),
		})
	}
	for _, k := range in.KeySchema {
		out.KeySchema = append(out.KeySchema, ddbtypes.KeySchemaElement{
			AttributeName: aws.String(k.AttributeName), KeyType: ddbtypes.KeyType(k.KeyType),
		})
	}
	return out
}

// TestTerraformTableMatchesStore holds the module's table to the key
// schema the store creates and to the store's TTL attribute.
func TestTerraformTableMatchesStore(t *testing.T) {
	m := loadTF(t, tfModuleDir)
	b := m.block(t, "aws_dynamodb_table.state")
	want := createTableRequest(t)

	got := map[string]string{}
	for _, k := range want.KeySchema {
		switch k.KeyType {
		case "HASH":
			got["hash_key "+aws.ToString(k.AttributeName)] = m.evalString(t, attr(t, b, "hash_key"))
		case "RANGE":
			got["range_key "+aws.ToString(k.AttributeName)] = m.evalString(t, attr(t, b, "range_key"))
		}
	}
	for k, v := range got {
		if !strings.HasSuffix(k, " "+v) {
			t.Errorf("%s: the module says %q", k, v)
		}
	}
	var tfAttrs, storeAttrs []string
	for _, a := range nested(b, "attribute") {
		tfAttrs = append(tfAttrs, m.evalString(t, attr(t, a, "name"))+" "+m.evalString(t, attr(t, a, "type")))
	}
	for _, a := range want.AttributeDefinitions {
		storeAttrs = append(storeAttrs, aws.ToString(a.AttributeName)+" "+string(a.AttributeType))
	}
	slices.Sort(tfAttrs)
	slices.Sort(storeAttrs)
	if !slices.Equal(tfAttrs, storeAttrs) {
		t.Errorf("attributes %v, the store defines %v", tfAttrs, storeAttrs)
	}
	if got := m.evalString(t, attr(t, b, "billing_mode")); got != string(want.BillingMode) {
		t.Errorf("billing_mode = %s, want %s", got, want.BillingMode)
	}
	if len(nested(b, "global_secondary_index"))+len(nested(b, "local_secondary_index")) > 0 {
		t.Error("the table has an index the store does not use (and the task role cannot query)")
	}
	ttl := nested(b, "ttl")
	if len(ttl) != 1 || m.evalString(t, attr(t, ttl[0], "attribute_name")) != dynamo.TTLAttribute || m.evalString(t, attr(t, ttl[0], "enabled")) != "true" {
		t.Errorf("ttl must be enabled on %s", dynamo.TTLAttribute)
	}
	pitr := nested(b, "point_in_time_recovery")
	if len(pitr) != 1 || m.evalString(t, attr(t, pitr[0], "enabled")) != "true" {
		t.Error("point_in_time_recovery is not enabled")
	}
}

// TestTerraformAdminListener checks that the admin port is open to
// admin_cidr_blocks only, and is the port the task and config use.
func TestTerraformAdminListener(t *testing.T) {
	m := loadTF(t, tfModuleDir)
	if sg := m.block(t, "aws_security_group.this"); len(nested(sg, "ingress")) > 0 {
		t.Error("aws_security_group.this has inline ingress rules")
	}
	port := fmt.Sprint(adminPort(t))
	var n int
	for addr, b := range m.blocks {
		if !strings.HasPrefix(addr, "aws_vpc_security_group_ingress_rule.") && !strings.HasPrefix(addr, "aws_security_group_rule.") {
			continue
		}
		n++
		if got := refersTo(attr(t, b, "for_each")); got != "var.admin_cidr_blocks" {
			t.Errorf("%s: for_each over %q, want var.admin_cidr_blocks", addr, got)
		}
		if got := exprText(attr(t, b, "cidr_ipv4")); got != "each.value" {
			t.Errorf("%s: cidr_ipv4 = %s, want each.value", addr, got)
		}
		for _, a := range []string{"from_port", "to_port"} {
			if got := m.evalString(t, attr(t, b, a)); got != port {
				t.Errorf("%s: %s = %s, want %s", addr, a, got, port)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d ingress rules, want 1", n)
	}
	cfg := m.evalString(t, m.locals["admin_port"])
	if cfg != port {
		t.Errorf("local.admin_port = %s, config.DefaultListen says %s", cfg, port)
	}
}

// TestTerraformLogAlarms checks that the metric filters match log lines
// the daemon really writes, and that an alarm watches each of them and the
// running task count.
func TestTerraformLogAlarms(t *testing.T) {
	m := loadTF(t, tfModuleDir)
	sources := map[string]string{
		"lease lost":        "../lease/lease.go",
		"group not decided": "../controller/controller.go",
	}
	for msg, file := range sources {
		t.Run(msg, func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(src, []byte(`"`+msg+`"`)) {
				t.Fatalf("%s no longer logs %q", file, msg)
			}
			want := fmt.Sprintf(`{ $.msg = %q }`, msg)
			var filter string
			for addr, b := range m.blocks {
				if strings.HasPrefix(addr, "aws_cloudwatch_log_metric_filter.") && m.evalString(t, attr(t, b, "pattern")) == want {
					filter = addr
				}
			}
			if filter == "" {
				t.Fatalf("no aws_cloudwatch_log_metric_filter with pattern %s", want)
			}
			var alarmed bool
			for addr, b := range m.blocks {
				if strings.HasPrefix(addr, "aws_cloudwatch_metric_alarm.") && refersTo(attr(t, b, "metric_name")) == filter {
					alarmed = true
				}
			}
			if !alarmed {
				t.Errorf("no alarm on %s", filter)
			}
		})
	}
	t.Run("running tasks", func(t *testing.T) {
		for addr, b := range m.blocks {
			if !strings.HasPrefix(addr, "aws_cloudwatch_metric_alarm.") || b.Body.Attributes["namespace"] == nil {
				continue
			}
			if m.evalString(t, attr(t, b, "namespace")) != "ECS/ContainerInsights" || m.evalString(t, attr(t, b, "metric_name")) != "RunningTaskCount" {
				continue
			}
			if got := refersTo(attr(t, b, "threshold")); got != "var.desired_count" {
				t.Errorf("%s: threshold %q, want var.desired_count", addr, got)
			}
			if got := m.evalString(t, attr(t, b, "comparison_operator")); got != "LessThanThreshold" {
				t.Errorf("%s: comparison_operator %s", addr, got)
			}
			return
		}
		t.Error("no RunningTaskCount alarm")
	})
	lg := m.block(t, "aws_cloudwatch_log_group.this")
	if got := refersTo(attr(t, lg, "retention_in_days")); got != "var.log_retention_days" {
		t.Errorf("log group retention_in_days refers to %q", got)
	}
}

// TestTerraformExample checks that the example sets every required
// variable of the module and nothing else, and that its config, with the
// keys the module sets, is a valid Headroom config.
func TestTerraformExample(t *testing.T) {
	mod := loadTF(t, tfModuleDir)
	ex := loadTF(t, tfExampleDir)
	var use *hclsyntax.Block
	for addr, b := range ex.blocks {
		if strings.HasPrefix(addr, "module.") {
			if v, _ := attr(t, b, "source").Value(nil); v.AsString() == "../.." {
				use = b
			}
		}
	}
	if use == nil {
		t.Fatal("the example does not use the module (source = \"../..\")")
	}
	for name, v := range mod.variables {
		_, hasDefault := v.Body.Attributes["default"]
		if _, set := use.Body.Attributes[name]; !set && !hasDefault {
			t.Errorf("the example does not set required variable %s", name)
		}
	}
	for name := range use.Body.Attributes {
		if _, ok := mod.variables[name]; !ok && name != "source" && name != "providers" && name != "depends_on" {
			t.Errorf("the example sets %s, which the module does not declare", name)
		}
	}

	src, err := os.ReadFile(filepath.Join(tfExampleDir, "headroom.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	// The keys main.tf merges in.
	doc["listen"] = config.DefaultListen
	doc["store"] = map[string]any{"backend": config.BackendDynamoDB, "table": "headroom"}
	doc["lease"] = map[string]any{"ttl": "15s"}
	merged, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(merged)
	if err != nil {
		t.Fatalf("the example config with the module's keys: %v", err)
	}
	groups := ex.evalStrings(t, attr(t, use, "managed_groups"))
	for _, g := range cfg.Groups {
		if !slices.Contains(groups, g.ASG) {
			t.Errorf("the config manages %q, which managed_groups does not list", g.ASG)
		}
	}
}

// fargateAllows is AWS's table of the task sizes Fargate runs ("Troubleshoot
// Amazon ECS task definition invalid CPU or memory errors", Amazon ECS
// Developer Guide): memory in MiB for each CPU size.
func fargateAllows(cpu, memory int) bool {
	const gb = 1024
	between := func(lo, hi, step int) bool { return memory >= lo && memory <= hi && (memory-lo)%step == 0 }
	switch cpu {
	case 256:
		return memory == 512 || memory == gb || memory == 2*gb
	case 512:
		return between(gb, 4*gb, gb)
	case 1024:
		return between(2*gb, 8*gb, gb)
	case 2048:
		return between(4*gb, 16*gb, gb)
	case 4096:
		return between(8*gb, 30*gb, gb)
	case 8192:
		return between(16*gb, 60*gb, 4*gb)
	case 16384:
		return between(32*gb, 120*gb, 8*gb)
	}
	return false
}

// TestTerraformFargateSizes holds the task definition's precondition to
// AWS's table: it accepts every pair Fargate runs and refuses every other.
func TestTerraformFargateSizes(t *testing.T) {
	m := loadTF(t, tfModuleDir)
	b := m.block(t, "aws_ecs_task_definition.this")
	var cond hclsyntax.Expression
	for _, lc := range nested(b, "lifecycle") {
		for _, pre := range nested(lc, "precondition") {
			if strings.Contains(exprText(attr(t, pre, "condition")), "fargate_memory") {
				cond = attr(t, pre, "condition")
			}
		}
	}
	if cond == nil {
		t.Fatal("aws_ecs_task_definition.this has no precondition on local.fargate_memory")
	}
	var accepted int
	for _, cpu := range []int{128, 256, 512, 1024, 2048, 4096, 8192, 16384} {
		for memory := 256; memory <= 128*1024; memory += 256 {
			v, err := m.evalWith(cond, map[string]cty.Value{"var.cpu": cty.NumberIntVal(int64(cpu)), "var.memory": cty.NumberIntVal(int64(memory))})
			if err != nil {
				t.Fatalf("cpu %d memory %d: %v", cpu, memory, err)
			}
			if want := fargateAllows(cpu, memory); v.True() != want {
				t.Errorf("cpu %d memory %d: precondition passes = %t, AWS allows = %t", cpu, memory, v.True(), want)
			}
			if v.True() {
				accepted++
			}
		}
	}
	// 3 + 4 + 7 + 13 + 23 + 12 + 12 pairs in AWS's table.
	if accepted != 74 {
		t.Errorf("the precondition accepts %d pairs, AWS's table has 74", accepted)
	}
}
