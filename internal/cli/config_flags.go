package cli

import (
	"fmt"
	"io"
	"reflect"
	"slices"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/align-project/align/internal/yamlconf"
)

// seedRule is how every trainer's settings are resolved; --help of each
// trainer shows it.
const seedRule = `Settings come from the defaults, then (with --resume) the run's saved
config.yaml, then --config FILE (YAML, keys as the flags with _ for -, unknown
keys are errors), then the flags given. The seed is --seed when given, else the
seed of the saved run or of --config, else 1. --print-config prints the
resolved settings and exits.`

// settingsFlags binds the YAML keys of a trainer's settings struct C
// (train.Config, reward.Config, ppo.Config) to flags and resolves the
// settings a run uses: the one resolver of every trainer (see seedRule).
type settingsFlags[C any] struct {
	shadow    C        // what the bound flags write into
	keys      []string // bound keys
	file      string   // --config
	resume    bool     // --resume (for trainers that resume)
	overwrite bool     // --overwrite
	printOnly bool     // --print-config
	// adjust, if set, applies settings that have flags of their own (maps
	// such as reward's --weights) after the flags given, before the check.
	adjust func(fs *pflag.FlagSet, cfg *C) error
}

// register adds a flag for every scalar key of defaults except seed (the
// global --seed) and skip, described by help, plus --config,
// --print-config, --overwrite and, when resumable, --resume.
func (f *settingsFlags[C]) register(fs *pflag.FlagSet, defaults C, help map[string]string, resumable bool, skip ...string) {
	f.shadow = defaults
	f.keys = bindConfig(fs, &f.shadow, help, skip...)
	fs.StringVar(&f.file, "config", "", "YAML file of settings (keys as the flags, with _ for -); flags given win")
	fs.BoolVar(&f.printOnly, "print-config", false, "print the resolved settings as YAML and exit")
	if resumable {
		fs.BoolVar(&f.resume, "resume", false, "continue the interrupted run in --out from OUT/last with its saved settings")
	}
	fs.BoolVar(&f.overwrite, "overwrite", false, "discard the run --out holds, finished or not (without it such an --out is refused)")
}

// resolve returns the settings: defaults, then on --resume the saved
// config at savedPath, then --config, then the flags given; the seed is
// --seed when given. Bad settings are usage errors naming their flag.
func (f *settingsFlags[C]) resolve(cmd *cobra.Command, g *globals, defaults C, savedPath string) (C, error) {
	path := cmd.CommandPath()
	cfg := defaults
	if f.resume {
		if err := yamlconf.Load(savedPath, &cfg); err != nil {
			return cfg, fmt.Errorf("resume: %w", err)
		}
	}
	if f.file != "" {
		if err := yamlconf.Load(f.file, &cfg); err != nil {
			return cfg, usageErrorf(path, "keys are the flag names with _ for -, e.g. min_lr: 1e-5", "%v", err)
		}
	}
	fs := cmd.Flags()
	copyChangedFlags(fs, f.keys, &cfg, f.shadow)
	if f.adjust != nil {
		if err := f.adjust(fs, &cfg); err != nil {
			return cfg, err
		}
	}
	if fs.Changed("seed") {
		yamlconf.SetKey(&cfg, "seed", g.seed)
	}
	if v, ok := any(cfg).(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return cfg, keyUsage(path, err)
		}
	}
	return cfg, nil
}

// printed writes cfg as YAML to w and reports true when --print-config
// asked for it: the command then stops.
func (f *settingsFlags[C]) printed(w io.Writer, cfg C) (bool, error) {
	if !f.printOnly {
		return false, nil
	}
	_, err := w.Write(yamlconf.Encode(cfg))
	return true, err
}

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
			key := yamlconf.Key(field)
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
