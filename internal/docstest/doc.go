// Package docstest checks that the operator documentation matches the
// repository: a page that names a file, a heading, a command, a flag, a
// make target or a config key that does not exist fails the build, so the
// runbook cannot drift from the binary it describes.
//
// The pages checked are README.md, docs/**/*.md, deploy/**/*.md and
// terraform/**/*.md. The tests (all in docs_test.go, package docstest):
//
//   - TestLinks: every relative link and reference definition resolves to
//     an existing file or directory, and every #anchor (in the same page or
//     another Markdown page) to a heading there, by GitHub's slug rules
//     (lower case, punctuation dropped, spaces to hyphens, -1, -2 for
//     repeated headings). Links with a scheme (https:, mailto:) are not
//     fetched: the tests use no network.
//   - TestMakeTargets: every `make TARGET` in a fenced shell block or an
//     inline code span names a rule of the Makefile.
//   - TestScripts: every scripts/... run in a fenced shell block exists.
//   - TestAgainstBinary builds cmd/headroom once into a temporary directory
//     and reads its own help: `headroom help` for the command table,
//     `headroom CMD -h` for a command's flags, and the same one level down
//     for the commands that have subcommands (ctl, ctl boost, ctl override,
//     token). Then:
//   - commands: every invocation of `headroom`, `bin/headroom` or
//     `go run ./cmd/headroom` in a fenced shell or console block names a
//     command (and subcommand) that exists, with flags that command
//     accepts. Flags are taken from the flag package's usage output, so a
//     flag that is renamed or removed fails here. Positional arguments and
//     flag values are not checked.
//   - configs: every ```yaml block with a top-level `groups:` key, and
//     docs/examples/headroom.yaml, passes `headroom validate`.
//   - safe commands: the documented invocations that only read local
//     state are run and must exit 0: `version`, `simulate --list`,
//     `token new`, `token hash TOKEN`, and `validate --config FILE` when
//     FILE is in the repository.
//
// The other documented commands are not run here, because they talk to
// AWS or to a running server. They are run by named tests elsewhere:
// serve by cmd/headroom's TestServeAgainstTheEmulator,
// TestServeReloadsOnSIGHUP, TestServeWaitsForTheStore and TestTwoReplicas
// (failover and SIGTERM hand-over); explain by TestPrintRecord; demo by
// TestDemoScalesAndStopsOnSIGINT; simulate by TestSimulateCommand; ctl
// against a live server by TestCtlAgainstServe and TestBoostEndToEnd, and
// every ctl command and exit code by internal/ctl's TestCommands and
// TestExitCode; scripts/campaign-boost.sh by internal/ctl's
// TestCampaignScript. The `aws autoscaling ...` commands in the runbook
// are AWS CLI calls, not Headroom's, and are not checked.
//
// Each checker is a function of page text and a model of the CLI, and has
// a table test of its own (TestCheckersCatch...) with a broken input, so
// the checks are shown to fail when the docs are wrong.
package docstest
