package xds

import corev1 "k8s.io/api/core/v1"

// What other stages (behaviour) read of a loaded Env.

// Ambient reports whether istiod serves ambient for this output.
func (e *Env) Ambient() bool { return e.ambient }

// ServiceOf returns the Service of an in-cluster host (FQDN), if the output has it.
func (e *Env) ServiceOf(host string) *corev1.Service { return e.serviceOf(host) }

// TargetPort resolves a Service port's targetPort (a number, or a container port name of pods).
func TargetPort(sp corev1.ServicePort, pods []*corev1.Pod) int32 { return targetPort(sp, pods) }
