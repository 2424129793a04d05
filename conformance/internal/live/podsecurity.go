package live

import (
	"context"
	"fmt"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// podSecurityLevels from strictest to most permissive (Pod Security Standards).
var podSecurityLevels = []string{"restricted", "baseline", "privileged"}

type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) HandleWarningHeader(code int, agent, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.list
	w.list = nil
	return out
}

// PodSecurity finds, for every namespace of the output, the strictest Pod Security Standard its
// running pods pass, by the API server's own PodSecurity admission: a server-side dry-run of the
// `pod-security.kubernetes.io/enforce` label at each level, whose warnings list the pods that
// would violate it. A namespace that carries an enforce label must carry exactly that level.
func PodSecurity(ctx context.Context, c *Cluster, namespaces []*corev1.Namespace) (map[string]string, map[string][]string, error) {
	w := &warnings{}
	cfg := rest.CopyConfig(c.Config)
	cfg.WarningHandler = w
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	level := map[string]string{}
	why := map[string][]string{}
	for _, ns := range namespaces {
		for _, l := range podSecurityLevels {
			patch := fmt.Sprintf(`{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":%q}}}`, l)
			if _, err := kube.CoreV1().Namespaces().Patch(ctx, ns.Name, types.MergePatchType, []byte(patch),
				metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
				return nil, nil, err
			}
			// PodSecurity admission's warnings: the level, then one line per violating pod
			violations := w.take()
			if len(violations) == 0 {
				level[ns.Name] = l
				break
			}
			why[ns.Name] = append(why[ns.Name], fmt.Sprintf("%s: %s", l, cut(strings.Join(violations, "; "))))
		}
	}
	return level, why, nil
}
