package deploytest

import (
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/headroom-dev/headroom/internal/awsapi"
)

// usedActions returns the actions the code calls with IAM prefix prefix.
func usedActions(prefix string) []string {
	var out []string
	for _, a := range awsapi.Actions {
		if strings.HasPrefix(a, prefix+":") {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}

// targetKindActions are, per enable_KIND variable of the target role, the
// actions Headroom calls in a target account for that kind: all it calls
// of that service, except the campaigns queue's, which is Headroom's own
// and in its own account.
func targetKindActions() map[string][]string {
	sqs := slices.DeleteFunc(usedActions("sqs"), func(a string) bool {
		return a == "sqs:ReceiveMessage" || a == "sqs:DeleteMessage"
	})
	return map[string][]string{
		"auto_scaling":             usedActions("autoscaling"),
		"ecs":                      usedActions("ecs"),
		"application_auto_scaling": usedActions("application-autoscaling"),
		"cloudwatch":               usedActions("cloudwatch"),
		"sqs":                      sqs,
	}
}

// TestTargetRoleGrantsWhatEachKindCalls checks that every kind of target
// the role can enable grants exactly the actions Headroom calls for it,
// only when enabled, and that the role grants nothing outside a kind.
func TestTargetRoleGrantsWhatEachKindCalls(t *testing.T) {
	m := loadTF(t, tfTargetRoleDir)
	pol := m.block(t, "aws_iam_role_policy.this")
	if got := refersTo(attr(t, pol, "role")); got != "aws_iam_role.this" {
		t.Fatalf("aws_iam_role_policy.this is on %q, want aws_iam_role.this", got)
	}
	doc := refersTo(attr(t, pol, "policy"))
	if !strings.HasPrefix(doc, "data.aws_iam_policy_document.") {
		t.Fatalf("the role's policy is %q, want an aws_iam_policy_document", doc)
	}
	b := m.block(t, doc)
	if n := len(nested(b, "statement")); n > 0 {
		t.Errorf("%s has %d statements outside any target kind", doc, n)
	}

	granted := map[string][]string{}
	for _, d := range nested(b, "dynamic") {
		if d.Labels[0] != "statement" {
			continue
		}
		enable := refersOnlyTo(attr(t, d, "for_each"))
		kind, ok := strings.CutPrefix(enable, "var.enable_")
		if !ok {
			t.Errorf("%s: a statement over %q, want one var.enable_KIND", doc, exprText(attr(t, d, "for_each")))
			continue
		}
		for _, on := range []bool{false, true} {
			each, err := m.evalWith(attr(t, d, "for_each"), map[string]cty.Value{enable: cty.BoolVal(on)})
			if err != nil {
				t.Fatalf("%s for_each: %v", doc, err)
			}
			if got := each.LengthInt() > 0; got != on {
				t.Errorf("%s: with %s = %t the statement is there: %t", doc, enable, on, got)
			}
		}
		content := nested(d, "content")
		if len(content) != 1 {
			t.Fatalf("%s: a dynamic statement without content", doc)
		}
		granted[kind] = append(granted[kind], m.evalStrings(t, attr(t, content[0], "actions"))...)
	}

	want := targetKindActions()
	for kind, actions := range want {
		t.Run(kind, func(t *testing.T) {
			if _, ok := m.variables["enable_"+kind]; !ok {
				t.Fatalf("no variable enable_%s", kind)
			}
			got := slices.Clone(granted[kind])
			slices.Sort(got)
			for _, a := range got {
				if !slices.Contains(actions, a) {
					t.Errorf("grants %s, which Headroom does not call for %s (it calls %v)", a, kind, actions)
				}
			}
			for _, a := range actions {
				if !slices.Contains(got, a) {
					t.Errorf("does not grant %s, which Headroom calls for %s", a, kind)
				}
			}
		})
	}
	for kind := range granted {
		if _, ok := want[kind]; !ok {
			t.Errorf("enable_%s grants %v for a kind Headroom does not have", kind, granted[kind])
		}
	}
}

// TestTargetRoleTrust checks that only the Headroom role may assume the
// target role, and only with the external ID.
func TestTargetRoleTrust(t *testing.T) {
	m := loadTF(t, tfTargetRoleDir)
	role := m.block(t, "aws_iam_role.this")
	doc := m.block(t, refersTo(attr(t, role, "assume_role_policy")))
	stmts := nested(doc, "statement")
	if len(stmts) != 1 || len(nested(doc, "dynamic")) > 0 {
		t.Fatalf("the trust policy has %d statements, want 1", len(stmts))
	}
	st := stmts[0]
	if got := m.evalStrings(t, attr(t, st, "actions")); !slices.Equal(got, []string{assumeRoleAction}) {
		t.Errorf("the trust policy allows %v, want [%s]", got, assumeRoleAction)
	}
	if e, ok := st.Body.Attributes["effect"]; ok {
		if v, _ := e.Expr.Value(nil); v.AsString() != "Allow" {
			t.Errorf("effect %s", v.AsString())
		}
	}
	ps := nested(st, "principals")
	if len(ps) != 1 || m.evalString(t, attr(t, ps[0], "type")) != "AWS" || exprText(attr(t, ps[0], "identifiers")) != "[var.headroom_role_arn]" {
		t.Errorf("the principal must be [var.headroom_role_arn] of type AWS")
	}
	conds := nested(st, "condition")
	if len(conds) != 1 {
		t.Fatalf("%d conditions, want the external ID's", len(conds))
	}
	c := conds[0]
	if m.evalString(t, attr(t, c, "test")) != "StringEquals" || m.evalString(t, attr(t, c, "variable")) != "sts:ExternalId" ||
		exprText(attr(t, c, "values")) != "[var.external_id]" {
		t.Errorf("the condition must be StringEquals sts:ExternalId [var.external_id]")
	}
	out, ok := m.outputs["role_arn"]
	if !ok {
		t.Fatal("no output role_arn")
	}
	if got := refersTo(out); got != "aws_iam_role.this" {
		t.Errorf("output role_arn refers to %q, want aws_iam_role.this", got)
	}
}

// TestTargetRoleVariables checks the target role's validations.
func TestTargetRoleVariables(t *testing.T) {
	m := loadTF(t, tfTargetRoleDir)
	tests := []struct {
		variable string
		value    cty.Value
		ok       bool
	}{
		{"headroom_role_arn", cty.StringVal("arn:aws:iam::111122223333:role/headroom-task"), true},
		{"headroom_role_arn", cty.StringVal("arn:aws:iam::111122223333:user/headroom"), false},
		{"headroom_role_arn", cty.StringVal("*"), false},
		{"external_id", cty.StringVal("headroom-4f2b9c"), true},
		{"external_id", cty.StringVal("a:b/c@d=e,f.g+h_i-j"), true},
		{"external_id", cty.StringVal("x"), false},
		{"external_id", cty.StringVal("has space"), false},
		{"external_id", cty.StringVal(strings.Repeat("x", 1225)), false},
		{"name", cty.StringVal("headroom-target"), true},
		{"name", cty.StringVal(strings.Repeat("x", 65)), false},
		{"ecs_services", cty.ListVal([]cty.Value{cty.StringVal("apps/api")}), true},
		{"ecs_services", cty.ListVal([]cty.Value{cty.StringVal("api")}), false},
		{"max_session_duration", cty.NumberIntVal(3600), true},
		{"max_session_duration", cty.NumberIntVal(900), false},
	}
	for _, tc := range tests {
		t.Run(tc.variable+"="+tc.value.GoString(), func(t *testing.T) {
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
