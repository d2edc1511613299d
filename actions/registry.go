package actions

import (
	"fmt"
	"reflect"
	"sort"
	"sync"
)

// Info describes an action type. Register it from the init of the
// action's package.
type Info struct {
	// Name is the key of the action in hooks.yaml ("shell").
	Name string
	// Config is the zero value of the action's YAML struct (not a pointer).
	// Build strictly decodes the action's YAML into a new value of this
	// type and hands it to New in BuildContext.Config; the JSON Schema of
	// hooks.yaml is generated from it.
	Config any
	// New builds the action from its decoded config.
	New func(bc BuildContext) (Action, error)
}

// BuildContext is what New may use to construct an action.
type BuildContext struct {
	// Decode strictly decodes the action's YAML into a struct pointer
	// (supplied by the config loader).
	Decode func(target any) error
	// Config is the decoded config, a value of Info.Config's type (set by
	// Build).
	Config any
	// Dir is the directory of the config file (relative paths).
	Dir string
	// Rule is the name of the rule the action belongs to.
	Rule string
}

var (
	mu       sync.RWMutex
	registry = map[string]Info{}
)

// Register adds an action type. A duplicate name, a missing New or a
// Config that is not a struct value panics at start-up.
func Register(info Info) {
	if info.Name == "" || info.New == nil {
		panic("actions: Register needs a Name and New")
	}
	if t := reflect.TypeOf(info.Config); t == nil || t.Kind() != reflect.Struct {
		panic("actions: " + info.Name + ": Config must be the zero value of the action's config struct")
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[info.Name]; dup {
		panic("actions: duplicate registration of " + info.Name)
	}
	registry[info.Name] = info
}

// Lookup returns the registered action type called name.
func Lookup(name string) (Info, bool) {
	mu.RLock()
	defer mu.RUnlock()
	info, ok := registry[name]
	return info, ok
}

// Build decodes the action's YAML (bc.Decode) into its config type and
// constructs an action of the named type.
func Build(kind string, bc BuildContext) (Action, error) {
	info, ok := Lookup(kind)
	if !ok {
		return nil, fmt.Errorf("unknown action type %q (known: %v)", kind, Names())
	}
	cfg := reflect.New(reflect.TypeOf(info.Config))
	if bc.Decode != nil {
		if err := bc.Decode(cfg.Interface()); err != nil {
			return nil, err
		}
	}
	bc.Config = cfg.Elem().Interface()
	return info.New(bc)
}

// Names lists the registered action types.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ConfigTypes returns the config shape (Info.Config) of every registered
// action type, by name, for the JSON Schema of hooks.yaml.
func ConfigTypes() map[string]any {
	mu.RLock()
	defer mu.RUnlock()
	out := make(map[string]any, len(registry))
	for n, info := range registry {
		out[n] = info.Config
	}
	return out
}
