package store

import "context"

// OpenAtVersion opens dsn and applies only the first version migrations, so
// that a test can write data as an older release did and then migrate it.
// Tests of this package do not run in parallel, which makes swapping the
// migration list safe.
func OpenAtVersion(ctx context.Context, dsn string, version int) (*Store, error) {
	saved := migrations
	migrations = migrations[:version]
	defer func() { migrations = saved }()
	return Open(ctx, dsn)
}
