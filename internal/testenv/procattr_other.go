//go:build !linux

package testenv

import "syscall"

// sysProcAttr needs nothing special where parent-death signals do not exist.
func sysProcAttr() *syscall.SysProcAttr { return nil }
