package tensor

import "golang.org/x/sys/cpu"

// Instruction sets the amd64 kernels may use, detected once at start-up.
// Tests flip them off to run the pure-Go fallbacks on the same inputs.
var (
	useAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512BW
	useAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
)

// Implementation names the kernel family in use: "avx512", "avx2" or "go".
func Implementation() string {
	switch {
	case useAVX512 && haveAsm:
		return "avx512"
	case useAVX2 && haveAsm:
		return "avx2"
	}
	return "go"
}

// SetImplementation forces a kernel family ("avx512", "avx2" or "go"), limited
// to what the CPU supports; it reports the family actually selected. It is
// meant for tests and benchmarks that compare implementations.
func SetImplementation(name string) string {
	useAVX512 = name == "avx512" && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512BW
	useAVX2 = (name == "avx512" || name == "avx2") && cpu.X86.HasAVX2 && cpu.X86.HasFMA
	return Implementation()
}
