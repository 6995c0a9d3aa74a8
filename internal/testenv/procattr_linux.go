package testenv

import "syscall"

// sysProcAttr has the kernel kill an emulator when the test binary dies,
// so an interrupted test run leaves no process listening behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
