package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	lua "github.com/yuin/gopher-lua"
)

// toLua converts decoded JSON into Lua values, as Argo CD hands `obj` to a
// health script.
func toLua(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case nil:
		return lua.LNil
	case string:
		return lua.LString(x)
	case bool:
		return lua.LBool(x)
	case float64:
		return lua.LNumber(x)
	case int64:
		return lua.LNumber(x)
	case []any:
		t := L.NewTable()
		for _, e := range x {
			t.Append(toLua(L, e))
		}
		return t
	case map[string]any:
		t := L.NewTable()
		for k, e := range x {
			t.RawSetString(k, toLua(L, e))
		}
		return t
	}
	return lua.LString(fmt.Sprint(v))
}

// runHealth runs a health script on an object with gopher-lua, the Lua VM
// Argo CD runs resource customizations in, and returns hs.status.
func runHealth(script string, obj map[string]any) (string, error) {
	L := lua.NewState(lua.Options{SkipOpenLibs: false})
	defer L.Close()
	L.SetGlobal("obj", toLua(L, obj))
	if err := L.DoString(script); err != nil {
		return "", err
	}
	ret := L.Get(-1)
	t, ok := ret.(*lua.LTable)
	if !ok {
		return "", fmt.Errorf("script returned %s, want a table", ret.Type())
	}
	return t.RawGetString("status").String(), nil
}

// checkApplicationHealthLua: the Application health check GitOps exposes
// for argocd-cm makes the root Application wait for Synced and Healthy.
func checkApplicationHealthLua(r *report, revisions map[string]*manifests) {
	dir := os.Getenv("ARGO_HEALTH_LUA_DIR")
	if dir == "" {
		return
	}
	data, err := os.ReadFile(filepath.Join(dir, "application-health.lua"))
	r.check("any", "application-health-lua", "read", err)
	if err != nil {
		return
	}
	app := func(sync, health string) map[string]any {
		st := map[string]any{}
		if sync != "" {
			st["sync"] = map[string]any{"status": sync}
		}
		if health != "" {
			st["health"] = map[string]any{"status": health, "message": "pods not ready"}
		}
		return map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "status": st}
	}
	cases := []struct {
		name string
		obj  map[string]any
		want string
	}{
		{"just created (no status)", map[string]any{"kind": "Application"}, "Progressing"},
		{"OutOfSync, Missing", app("OutOfSync", "Missing"), "Progressing"},
		{"Synced, Progressing (istiod starting)", app("Synced", "Progressing"), "Progressing"},
		{"OutOfSync, Healthy (not synced yet)", app("OutOfSync", "Healthy"), "Progressing"},
		{"Synced, Healthy", app("Synced", "Healthy"), "Healthy"},
		{"Synced, Degraded", app("Synced", "Degraded"), "Degraded"},
	}
	for _, c := range cases {
		got, err := runHealth(string(data), c.obj)
		if err == nil && got != c.want {
			err = errors.New(got + ", want " + c.want)
		}
		r.check("any", "application-health", c.name, err)
	}
	_ = revisions
}
