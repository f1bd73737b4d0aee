//go:build !unix

package sysinfo

import "errors"

func maxRSS() (int64, error) {
	return 0, errors.New("sysinfo: peak memory is not available on this platform")
}
