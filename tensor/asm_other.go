//go:build !amd64 || noasm

package tensor

const haveAsm = false
