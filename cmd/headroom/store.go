package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/headroom-dev/headroom/internal/awsapi"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/store/bolt"
	"github.com/headroom-dev/headroom/internal/store/dynamo"
)

// storeInitTimeout bounds store init: creating a table and waiting for it
// to turn ACTIVE usually takes seconds.
const storeInitTimeout = 5 * time.Minute

func runStore(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "init" {
		w, code := stderr, 2
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			w, code = stdout, 0
		}
		fmt.Fprintln(w, "usage: headroom store <command> [flags]")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "  init   create the DynamoDB table with its TTL, or check an existing one (--config FILE | --table NAME)")
		return code
	}
	fs := newFlags("store init", stderr)
	path := fs.String("config", "", "config file (YAML): its store.table and region")
	table := fs.String("table", "", "the DynamoDB table, instead of a config's store.table")
	region := fs.String("region", "", "AWS region (default: the config's, else the SDK's)")
	if code := parseFlags(fs, args[1:]); code >= 0 {
		return code
	}
	var st config.Store
	switch {
	case *path != "" && *table != "":
		fmt.Fprintln(stderr, "headroom store init: give --config or --table, not both")
		return 2
	case *path != "":
		cfg, code := loadConfig(*path, stderr)
		if cfg == nil {
			return code
		}
		st = cfg.Store
		if *region == "" {
			*region = cfg.Region
		}
	case *table != "":
		st = config.Store{Backend: config.BackendDynamoDB, Table: *table}
	default:
		fmt.Fprintln(stderr, "headroom store init: --config FILE or --table NAME is required")
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, storeInitTimeout)
	defer cancel()

	if st.Backend != config.BackendDynamoDB {
		// The bolt file is created, with its buckets, on first open.
		s, err := bolt.Open(st.Path)
		if err != nil {
			fmt.Fprintln(stderr, "headroom store init:", err)
			return 1
		}
		if err := s.Close(); err != nil {
			fmt.Fprintln(stderr, "headroom store init:", err)
			return 1
		}
		fmt.Fprintf(stdout, "bolt file %s ready\n", st.Path)
		return 0
	}
	awsCfg, err := awsapi.Load(ctx, awsapi.Options{Region: *region})
	if err != nil {
		fmt.Fprintln(stderr, "headroom store init:", err)
		return 1
	}
	res, err := dynamo.New(dynamodb.NewFromConfig(awsCfg), st.Table).Init(ctx)
	if res.Created {
		fmt.Fprintf(stdout, "table %s created: pk (S) hash key, sk (S) range key, on-demand capacity\n", st.Table)
	}
	if err != nil {
		fmt.Fprintln(stderr, "headroom store init:", err)
		return 1
	}
	if !res.Created {
		fmt.Fprintf(stdout, "table %s exists with Headroom's key schema\n", st.Table)
	}
	if res.TTLEnabled {
		fmt.Fprintf(stdout, "TTL enabled on %s\n", dynamo.TTLAttribute)
	} else {
		fmt.Fprintf(stdout, "TTL already on %s\n", dynamo.TTLAttribute)
	}
	return 0
}
