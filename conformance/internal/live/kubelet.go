package live

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
)

var getOpts = metav1.GetOptions{}

// NodeName is the one Node object of the live cluster. No kubelet runs for it.
const NodeName = "live-node"

// Kubelet stands in for the kubelet of the one Node: it binds every unscheduled pod to the
// Node (there is no scheduler either) and then marks it Running and Ready with an address, by
// a status update, the moment it exists (it watches pods, as a kubelet does). No container runs.
// Pod addresses come from 198.18.0.0/15 (the benchmarking range): they are data in Pod status
// and EndpointSlices; nothing connects to them.
type Kubelet struct {
	c       *Cluster
	mu      sync.Mutex
	next    int
	ips     map[string]string // pod UID -> IP
	ready   func(*corev1.Pod) bool
	stop    chan struct{}
	done    chan struct{}
	store   cache.Store
	Started int // pods marked Running
	errs    []string
}

// StartKubelet registers the Node and starts marking pods. ready (optional) holds a pod back
// from Ready until it returns true (istiod's pods wait for the local istiod process); pods held
// back are looked at again every resync (kubeletResync).
func StartKubelet(c *Cluster, ready func(*corev1.Pod) bool) (*Kubelet, error) {
	k := &Kubelet{c: c, ips: map[string]string{}, ready: ready, stop: make(chan struct{}), done: make(chan struct{})}
	if err := k.registerNode(); err != nil {
		return nil, err
	}
	lw := cache.NewListWatchFromClient(c.Kube.CoreV1().RESTClient(), "pods", metav1.NamespaceAll, fields.Everything())
	inf := cache.NewSharedIndexInformer(lw, &corev1.Pod{}, kubeletResync, cache.Indexers{})
	handle := func(obj any) {
		if p, ok := obj.(*corev1.Pod); ok {
			k.handle(p)
		}
	}
	if _, err := inf.AddEventHandlerWithResyncPeriod(cache.ResourceEventHandlerFuncs{
		AddFunc:    handle,
		UpdateFunc: func(_, obj any) { handle(obj) },
	}, kubeletResync); err != nil {
		return nil, err
	}
	k.store = inf.GetStore()
	go func() {
		defer close(k.done)
		inf.Run(k.stop)
	}()
	return k, nil
}

// Recheck looks again at every pod it knows (call it when the ready function's answer changes).
func (k *Kubelet) Recheck() {
	for _, obj := range k.store.List() {
		if p, ok := obj.(*corev1.Pod); ok {
			k.handle(p)
		}
	}
}

// kubeletResync: how often the stand-in kubelet looks again at pods it has seen, besides Recheck
// (client-go's minimum).
const kubeletResync = time.Second

// Stop ends the watch and returns the errors it met.
func (k *Kubelet) Stop() []string {
	close(k.stop)
	<-k.done
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.errs
}

// IP returns the address given to a pod (by UID), if any.
func (k *Kubelet) IP(uid string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.ips[uid]
}

func (k *Kubelet) registerNode() error {
	ctx := context.Background()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: NodeName, Labels: map[string]string{
		"kubernetes.io/hostname": NodeName, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
	}}}
	created, err := k.c.Kube.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("register Node: %w", err)
	}
	capacity := corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("64"), corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods: resource.MustParse("1000"), corev1.ResourceEphemeralStorage: resource.MustParse("1Ti"),
	}
	now := metav1.Now()
	status := corev1.NodeStatus{
		Capacity: capacity, Allocatable: capacity,
		Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message: "stand-in kubelet (no containers run)", LastHeartbeatTime: now, LastTransitionTime: now}},
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "198.18.0.1"}, {Type: corev1.NodeHostName, Address: NodeName}},
		NodeInfo:  corev1.NodeSystemInfo{OperatingSystem: "linux", Architecture: "amd64", KubeletVersion: "v1.35.4"},
	}
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := k.c.Kube.CoreV1().Nodes().Get(ctx, created.Name, getOpts)
		if err != nil {
			return err
		}
		n.Status = status
		_, err = k.c.Kube.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
		return err
	})
}

// handle acts on one pod as the kubelet would: finishes a deletion, binds an unscheduled pod to
// the Node, marks a bound pod Running (Ready unless held back).
func (k *Kubelet) handle(p *corev1.Pod) {
	ctx := context.Background()
	if p.DeletionTimestamp != nil {
		// no kubelet confirms the containers stopped: finish the deletion as it would
		if err := k.c.Kube.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: ptrInt64(0)}); err != nil && !apierrors.IsNotFound(err) {
			k.note("delete %s/%s: %v", p.Namespace, p.Name, err)
		}
		return
	}
	if p.Spec.NodeName == "" {
		b := &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID},
			Target: corev1.ObjectReference{Kind: "Node", Name: NodeName}}
		if err := k.c.Kube.CoreV1().Pods(p.Namespace).Bind(ctx, b, metav1.CreateOptions{}); err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
			k.note("bind %s/%s: %v", p.Namespace, p.Name, err)
		}
		return
	}
	ready := k.ready == nil || k.ready(p)
	if p.Status.Phase == corev1.PodRunning && podReady(p) == ready {
		return
	}
	k.markRunning(ctx, p, ready)
}

func (k *Kubelet) note(format string, args ...any) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.errs) < 20 {
		k.errs = append(k.errs, fmt.Sprintf(format, args...))
	}
}

func (k *Kubelet) ipFor(uid string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	if ip, ok := k.ips[uid]; ok {
		return ip
	}
	k.next++
	ip := fmt.Sprintf("198.18.%d.%d", 1+k.next/250, 1+k.next%250)
	k.ips[uid] = ip
	return ip
}

func (k *Kubelet) markRunning(ctx context.Context, p *corev1.Pod, ready bool) {
	ip := k.ipFor(string(p.UID))
	now := metav1.Now()
	cond := func(t corev1.PodConditionType, ok bool) corev1.PodCondition {
		s := corev1.ConditionTrue
		if !ok {
			s = corev1.ConditionFalse
		}
		return corev1.PodCondition{Type: t, Status: s, LastTransitionTime: now}
	}
	st := p.Status.DeepCopy()
	st.Phase = corev1.PodRunning
	st.HostIP, st.HostIPs = "198.18.0.1", []corev1.HostIP{{IP: "198.18.0.1"}}
	st.PodIP, st.PodIPs = ip, []corev1.PodIP{{IP: ip}}
	if st.StartTime == nil {
		st.StartTime = &now
	}
	st.Conditions = []corev1.PodCondition{
		cond(corev1.PodScheduled, true), cond(corev1.PodInitialized, true),
		cond(corev1.ContainersReady, ready), cond(corev1.PodReady, ready),
	}
	st.InitContainerStatuses = nil
	for _, c := range p.Spec.InitContainers {
		cs := corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: c.Image, ContainerID: "live://" + c.Name}
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			cs.Ready, cs.Started = ready, ptrBool(true)
			cs.State.Running = &corev1.ContainerStateRunning{StartedAt: now}
		} else {
			cs.State.Terminated = &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed", StartedAt: now, FinishedAt: now}
		}
		st.InitContainerStatuses = append(st.InitContainerStatuses, cs)
	}
	st.ContainerStatuses = nil
	for _, c := range p.Spec.Containers {
		st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: c.Image,
			ContainerID: "live://" + c.Name, Ready: ready, Started: ptrBool(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}})
	}
	upd := p.DeepCopy()
	upd.Status = *st
	if _, err := k.c.Kube.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, upd, metav1.UpdateOptions{}); err != nil {
		if !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
			k.note("status of %s/%s: %v", p.Namespace, p.Name, err)
		}
		return
	}
	if p.Status.Phase != corev1.PodRunning {
		k.mu.Lock()
		k.Started++
		k.mu.Unlock()
	}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func ptrBool(b bool) *bool    { return &b }
func ptrInt64(i int64) *int64 { return &i }
