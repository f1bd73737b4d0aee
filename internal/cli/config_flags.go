package cli

import (
	"reflect"
	"slices"

	"github.com/spf13/pflag"

	"github.com/align-project/align/internal/yamlconf"
)

// bindConfig adds a flag for every scalar field of the config struct that
// shadow points to, looking into embedded structs: the flag of YAML key
// "grad_accum" is --grad-accum, described by help[key], and writes into
// *shadow. It skips seed (the global --seed), the keys in skip and map
// fields (which get flags of their own), and returns the keys it bound.
// A field of any other type is a programming error.
func bindConfig(fs *pflag.FlagSet, shadow any, help map[string]string, skip ...string) []string {
	var keys []string
	stringPtr := reflect.TypeFor[*string]()
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		t := v.Type()
		for i := range t.NumField() {
			field, fv := t.Field(i), v.Field(i)
			if field.Anonymous {
				walk(fv)
				continue
			}
			key := field.Tag.Get("yaml")
			if key == "seed" || slices.Contains(skip, key) || fv.Kind() == reflect.Map {
				continue
			}
			name, usage := flagName(key), help[key]
			switch fv.Kind() {
			case reflect.Int:
				p := fv.Addr().Interface().(*int)
				fs.IntVar(p, name, *p, usage)
			case reflect.Float64:
				p := fv.Addr().Interface().(*float64)
				fs.Float64Var(p, name, *p, usage)
			case reflect.Bool:
				p := fv.Addr().Interface().(*bool)
				fs.BoolVar(p, name, *p, usage)
			case reflect.String: // string types such as ppo.KLEstimator
				p := fv.Addr().Convert(stringPtr).Interface().(*string)
				fs.StringVar(p, name, *p, usage)
			default:
				panic("cli: config key " + key + " has no flag type")
			}
			keys = append(keys, key)
		}
	}
	walk(reflect.ValueOf(shadow).Elem())
	return keys
}

// copyChangedFlags copies into *dst, from shadow (the config bindConfig
// bound), the keys whose flag was given on the command line, so that flags
// given win over a --config file and the defaults.
func copyChangedFlags[C any](fs *pflag.FlagSet, keys []string, dst *C, shadow C) {
	for _, key := range keys {
		if fs.Changed(flagName(key)) {
			yamlconf.CopyKey(dst, key, shadow)
		}
	}
}
