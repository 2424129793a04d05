// Package shared locates the shared data folder (../shared beside the checkout) that holds
// the pinned Istio release data.
package shared

import (
	"fmt"
	"os"
	"path/filepath"
)

// EnvVar overrides the location of the shared folder.
const EnvVar = "CDK8S_MESH_SHARED"

// Dir returns the shared folder: $CDK8S_MESH_SHARED when set, else <repo>/../shared, where
// <repo> is the nearest ancestor of the working directory holding conformance/go.mod.
func Dir() (string, error) {
	if d := os.Getenv(EnvVar); d != "" {
		return checkDir(d, "$"+EnvVar)
	}
	repo, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return checkDir(filepath.Join(filepath.Dir(repo), "shared"), "<repo>/../shared")
}

// IstioRelease returns <shared>/istio/<version>.
func IstioRelease(version string) (string, error) {
	d, err := Dir()
	if err != nil {
		return "", err
	}
	return checkDir(filepath.Join(d, "istio", version), "shared istio release folder")
}

// RepoRoot walks up from the working directory to the repository root (the folder that
// holds conformance/go.mod).
func RepoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "conformance", "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no repository root (a folder with conformance/go.mod) above %s; set $%s", wd, EnvVar)
		}
	}
}

func checkDir(d, what string) (string, error) {
	abs, err := filepath.Abs(d)
	if err != nil {
		return "", err
	}
	st, err := os.Stat(abs)
	if err != nil || !st.IsDir() {
		return "", fmt.Errorf("%s %s is not a folder; set $%s to the shared data folder", what, abs, EnvVar)
	}
	return abs, nil
}
