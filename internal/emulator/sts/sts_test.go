package sts

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/clock"
)

var start = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	user     = "arn:aws:iam::111111111111:user/ops"
	testRole = "arn:aws:iam::222222222222:role/team/scaler"
)

func TestAddRoleAndUserValidate(t *testing.T) {
	cases := []struct {
		name    string
		add     func(*Service) error
		wantErr string
	}{
		{"role", func(s *Service) error { return s.AddRole(testRole, "ext-1") }, ""},
		{"role without external id", func(s *Service) error { return s.AddRole(testRole, "") }, ""},
		{"role arn of a user", func(s *Service) error { return s.AddRole(user, "") }, "role arn"},
		{"role arn with a short account", func(s *Service) error { return s.AddRole("arn:aws:iam::2222:role/x", "") }, "role arn"},
		{"external id too short", func(s *Service) error { return s.AddRole(testRole, "x") }, "external id"},
		{"external id with a space", func(s *Service) error { return s.AddRole(testRole, "a b") }, "external id"},
		{"external id too long", func(s *Service) error { return s.AddRole(testRole, strings.Repeat("x", 1225)) }, "external id"},
		{"user", func(s *Service) error { return s.AddUser("AKIDOPS", "secret", user) }, ""},
		{"user arn of a role", func(s *Service) error { return s.AddUser("AKIDOPS", "secret", testRole) }, "user arn"},
		{"user without key", func(s *Service) error { return s.AddUser("", "secret", user) }, "access key id is empty"},
		{"trust a role", func(s *Service) error { return s.TrustUnknownKeys(testRole) }, "user arn"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.add(New(clock.NewFake(start)))
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// assume calls AssumeRole as caller with form and decodes the answer.
func assume(t *testing.T, s *Service, caller Identity, form url.Values) (*httptest.ResponseRecorder, assumeRoleResult) {
	t.Helper()
	form.Set("Action", "AssumeRole")
	form.Set("Version", apiVersion)
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r = r.WithContext(WithCaller(r.Context(), caller))
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var out struct {
		Result assumeRoleResult `xml:"AssumeRoleResult"`
	}
	if w.Code == http.StatusOK {
		if err := xml.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("decode %s: %v", w.Body, err)
		}
	}
	return w, out.Result
}

func TestAssumeRoleValidates(t *testing.T) {
	cases := []struct {
		name     string
		form     url.Values
		wantCode string
	}{
		{"ok", url.Values{"RoleArn": {testRole}, "RoleSessionName": {"s1"}, "ExternalId": {"ext-1"}}, ""},
		{"no role arn", url.Values{"RoleSessionName": {"s1"}, "ExternalId": {"ext-1"}}, "ValidationError"},
		{"no session name", url.Values{"RoleArn": {testRole}, "ExternalId": {"ext-1"}}, "ValidationError"},
		{"session name of one character", url.Values{"RoleArn": {testRole}, "RoleSessionName": {"s"}, "ExternalId": {"ext-1"}}, "ValidationError"},
		{"session name with a slash", url.Values{"RoleArn": {testRole}, "RoleSessionName": {"a/b"}, "ExternalId": {"ext-1"}}, "ValidationError"},
		{"duration below 900", url.Values{"RoleArn": {testRole}, "RoleSessionName": {"s1"}, "ExternalId": {"ext-1"}, "DurationSeconds": {"899"}}, "ValidationError"},
		{"duration not a number", url.Values{"RoleArn": {testRole}, "RoleSessionName": {"s1"}, "ExternalId": {"ext-1"}, "DurationSeconds": {"1h"}}, "ValidationError"},
		{"duration above the role's maximum", url.Values{"RoleArn": {testRole}, "RoleSessionName": {"s1"}, "ExternalId": {"ext-1"}, "DurationSeconds": {"3601"}}, "ValidationError"},
		{"empty external id", url.Values{"RoleArn": {testRole}, "RoleSessionName": {"s1"}, "ExternalId": {""}}, "ValidationError"},
		{"external id of another role", url.Values{"RoleArn": {testRole}, "RoleSessionName": {"s1"}, "ExternalId": {"ext-2"}}, "AccessDenied"},
		{"unknown role", url.Values{"RoleArn": {"arn:aws:iam::222222222222:role/other"}, "RoleSessionName": {"s1"}, "ExternalId": {"ext-1"}}, "AccessDenied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := New(clock.NewFake(start))
			if err := s.AddRole(testRole, "ext-1"); err != nil {
				t.Fatal(err)
			}
			w, _ := assume(t, s, Identity{Account: "111111111111", ARN: user}, tc.form)
			if tc.wantCode == "" {
				if w.Code != http.StatusOK {
					t.Fatalf("status %d: %s", w.Code, w.Body)
				}
				return
			}
			if !strings.Contains(w.Body.String(), "<Code>"+tc.wantCode+"</Code>") {
				t.Errorf("answer %d %s, want %s", w.Code, w.Body, tc.wantCode)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	clk := clock.NewFake(start)
	s := New(clk)
	if err := s.AddUser("AKIDOPS", "secret", user); err != nil {
		t.Fatal(err)
	}
	if err := s.AddRole(testRole, ""); err != nil {
		t.Fatal(err)
	}
	w, creds := assume(t, s, Identity{Account: "111111111111", ARN: user}, url.Values{"RoleArn": {testRole}, "RoleSessionName": {"s1"}, "DurationSeconds": {"900"}})
	if w.Code != http.StatusOK {
		t.Fatalf("AssumeRole: %d %s", w.Code, w.Body)
	}
	key, token := creds.Credentials.AccessKeyID, creds.Credentials.SessionToken

	cases := []struct {
		name        string
		advance     time.Duration
		key, token  string
		trust       string
		wantAccount string
		wantCode    string
	}{
		{name: "user", key: "AKIDOPS", wantAccount: "111111111111"},
		{name: "user with a token", key: "AKIDOPS", token: "x", wantCode: CodeInvalidClientTokenID},
		{name: "unknown key", key: "AKIDNOBODY", wantCode: CodeInvalidClientTokenID},
		{name: "unknown key trusted", key: "AKIDNOBODY", trust: "arn:aws:iam::333333333333:user/any", wantAccount: "333333333333"},
		{name: "unknown temporary key refused even when trusting", key: "ASIANOBODY", token: "x", trust: user, wantCode: CodeInvalidClientTokenID},
		{name: "temporary", key: key, token: token, wantAccount: "222222222222"},
		{name: "temporary without its token", key: key, wantCode: CodeInvalidClientTokenID},
		{name: "temporary with another token", key: key, token: token + "x", wantCode: CodeInvalidClientTokenID},
		{name: "temporary a second before expiry", advance: 15*time.Minute - time.Second, key: key, token: token, wantAccount: "222222222222"},
		{name: "temporary at expiry", advance: 15 * time.Minute, key: key, token: token, wantCode: CodeExpiredToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.TrustUnknownKeys(tc.trust); err != nil {
				t.Fatal(err)
			}
			clk.Advance(tc.advance)
			defer clk.Advance(-tc.advance)
			id, err := s.Authenticate(tc.key, tc.token)
			var aerr *AuthError
			if tc.wantCode != "" {
				if !errors.As(err, &aerr) || aerr.Code != tc.wantCode {
					t.Fatalf("err = %v, want %s", err, tc.wantCode)
				}
				return
			}
			if err != nil || id.Account != tc.wantAccount || id.AccessKeyID != tc.key {
				t.Errorf("Authenticate = %+v, %v; want account %s", id, err, tc.wantAccount)
			}
		})
	}
}

func TestServeWithoutCaller(t *testing.T) {
	s := New(clock.NewFake(start))
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/?Action=GetCallerIdentity&Version=2011-06-15", nil))
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "MissingAuthenticationToken") {
		t.Errorf("answer %d %s, want 403 MissingAuthenticationToken", w.Code, w.Body)
	}
}

// FuzzServe sends arbitrary awsQuery requests as a known caller. Whatever
// arrives, the service must not panic and must answer 200 with a result or
// an error status with an ErrorResponse.
func FuzzServe(f *testing.F) {
	f.Add("", "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2Fteam%2Fscaler&RoleSessionName=s1&ExternalId=ext-1")
	f.Add("Action=GetCallerIdentity", "")
	f.Add("Action=AssumeRole", "RoleArn=x&RoleSessionName=s1&DurationSeconds=99999999999999999999")
	f.Add("%zz", "Action=Nothing")
	f.Fuzz(func(t *testing.T, rawQuery, body string) {
		s := New(clock.NewFake(start))
		if err := s.AddRole(testRole, "ext-1"); err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.URL.RawQuery = rawQuery
		r = r.WithContext(WithCaller(r.Context(), Identity{Account: "111111111111", ARN: user}))
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		want := "<ErrorResponse"
		if w.Code == http.StatusOK {
			want = "Response xmlns="
		}
		if !strings.Contains(w.Body.String(), want) {
			t.Fatalf("answer %d %q, want %s", w.Code, w.Body, want)
		}
	})
}
