package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/headroom-dev/headroom/internal/testenv"
)

// TestStoreInit runs `headroom store init` against dynalite: it creates the
// table with its TTL, says so, answers a second run that all is in place,
// and refuses a table with another key schema, naming the difference.
func TestStoreInit(t *testing.T) {
	proxy := testenv.DynaliteTTL(t)
	dir := t.TempDir()
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", proxy.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := context.Background()
	storeInit := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(ctx, append([]string{"store", "init"}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}

	code, out, errs := storeInit("--table", "headroom-state")
	if code != 0 || !strings.Contains(out, "table headroom-state created") || !strings.Contains(out, "TTL enabled on expires_at_epoch") {
		t.Fatalf("first init: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	code, out, errs = storeInit("--table", "headroom-state")
	if code != 0 || !strings.Contains(out, "exists with Headroom's key schema") || !strings.Contains(out, "TTL already on expires_at_epoch") {
		t.Fatalf("second init: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}

	client := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(proxy.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	if _, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("someone-else"), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	}); err != nil {
		t.Fatal(err)
	}
	code, out, errs = storeInit("--table", "someone-else")
	if code != 1 || !strings.Contains(errs, `hash key is "id" (S), want "pk" (S)`) || !strings.Contains(errs, `no range key, want "sk" (S)`) {
		t.Errorf("init of a table with another schema: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if attr, _ := proxy.State("someone-else"); attr != "" {
		t.Errorf("refused init turned on TTL on %q", attr)
	}

	if code, _, errs := storeInit(); code != 2 || !strings.Contains(errs, "--config FILE or --table NAME") {
		t.Errorf("init without a table: exit %d, stderr %q", code, errs)
	}
}
