// Package yamlconf holds the mechanics shared by align's flat, YAML-tagged
// config structs (train.Config, ppo.Config): overlaying a YAML file on the
// defaults with unknown keys as errors, writing the effective config back,
// and copying single settings by key so flags can win over a file.
package yamlconf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Decode overlays the YAML document in r (named name in errors) on *c: keys
// present replace c's values, absent keys keep them, an empty document
// changes nothing. Unknown keys are errors, so a misspelt setting never goes
// unnoticed; on any error *c is left as it was.
func Decode[T any](r io.Reader, name string, c *T) error {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	tmp := *c
	if err := dec.Decode(&tmp); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return fmt.Errorf("read config %s: %w", name, err)
	}
	*c = tmp
	return nil
}

// Load overlays the YAML file at path on *c; see [Decode].
func Load[T any](path string, c *T) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	return Decode(f, path, c)
}

// Encode returns c as a YAML document with every key, in field order.
func Encode[T any](c T) []byte {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		panic("yamlconf: encode config: " + err.Error()) // flat structs of plain values always encode
	}
	enc.Close()
	return buf.Bytes()
}

// Key is the YAML key of a struct field: its yaml tag without options such
// as omitempty.
func Key(f reflect.StructField) string {
	key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return key
}

// Keys lists the yaml keys of T's fields in field order.
func Keys[T any]() []string {
	t := reflect.TypeFor[T]()
	keys := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		keys = append(keys, Key(t.Field(i)))
	}
	return keys
}

// CopyKey sets the field of *dst whose yaml tag is key (looking into
// embedded structs, which YAML inlines) to its value in src and reports
// whether key names a field.
func CopyKey[T any](dst *T, key string, src T) bool {
	return copyKey(reflect.ValueOf(dst).Elem(), reflect.ValueOf(src), key)
}

func copyKey(dst, src reflect.Value, key string) bool {
	t := dst.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			if copyKey(dst.Field(i), src.Field(i), key) {
				return true
			}
			continue
		}
		if Key(f) == key {
			dst.Field(i).Set(src.Field(i))
			return true
		}
	}
	return false
}

// FirstDifference is the yaml tag of the first field, in field order and
// looking into embedded structs, whose value differs between a and b; ""
// when they are equal.
func FirstDifference[T any](a, b T) string {
	return firstDifference(reflect.ValueOf(a), reflect.ValueOf(b))
}

func firstDifference(a, b reflect.Value) string {
	t := a.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			if key := firstDifference(a.Field(i), b.Field(i)); key != "" {
				return key
			}
			continue
		}
		if !reflect.DeepEqual(a.Field(i).Interface(), b.Field(i).Interface()) {
			return Key(f)
		}
	}
	return ""
}

// SetKey sets the field of *dst whose yaml tag is key (looking into
// embedded structs) to value, converted to the field's type, and reports
// whether key names a field of a type value converts to.
func SetKey[T any](dst *T, key string, value any) bool {
	return setKey(reflect.ValueOf(dst).Elem(), key, reflect.ValueOf(value))
}

func setKey(dst reflect.Value, key string, v reflect.Value) bool {
	t := dst.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			if setKey(dst.Field(i), key, v) {
				return true
			}
			continue
		}
		if Key(f) == key && v.Type().ConvertibleTo(f.Type) {
			dst.Field(i).Set(v.Convert(f.Type))
			return true
		}
	}
	return false
}
