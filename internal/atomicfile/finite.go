package atomicfile

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
)

// FirstNonFinite returns the JSON path ("heldout.loss", "gain[2]") of the
// first NaN or ±Inf number in v, or "" when there is none. JSON has no
// such numbers: encoding/json refuses them with "json: unsupported value:
// NaN", naming neither the file nor the field, so the writers here name the
// field with this instead.
func FirstNonFinite(v any) string {
	return nonFiniteIn(reflect.ValueOf(v), "")
}

func nonFiniteIn(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			if path == "" {
				return "(value)"
			}
			return path
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return nonFiniteIn(v.Elem(), path)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			sub := join(path, name)
			switch {
			case name == "" && f.Anonymous:
				sub = path // an embedded struct's fields are the outer one's
			case name == "":
				sub = join(path, f.Name)
			}
			if p := nonFiniteIn(v.Field(i), sub); p != "" {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if p := nonFiniteIn(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		for _, k := range keys {
			if p := nonFiniteIn(v.MapIndex(k), join(path, fmt.Sprint(k))); p != "" {
				return p
			}
		}
	}
	return ""
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
