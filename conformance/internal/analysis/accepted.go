package analysis

// Messages of Istio's analyzers that are not defects of the output, each with its reason.
// Anything not matched here fails the suite, so the library gets fixed instead.
func init() {
	AcceptedMessages = []Accepted{
		{
			Code: "IST0101", Contains: "Referenced credentialName not found",
			Reason: "the gateway's TLS Secret (tls.crt/tls.key) is deliberately not synthesized: private keys are not " +
				"committed to Git; the README (Gateways: TLS) tells users to issue it in the gateway's namespace, e.g. with cert-manager",
		},
	}
	// The injector values now carry sidecarInjectorWebhook.enableNamespacesByDefault (upstream's
	// shape), so a ConfigMap without it is a regression and fails: InjectorValuesFinding stays empty.
}

// IST0103 (PodMissingProxy) on a Pod derived from a pod template is expected: the template is
// what the ReplicaSet controller submits, before the injection webhook adds istio-proxy at
// admission. Injection itself is checked by the inject stage.
const derivedPodReason = "the Pod is derived from the workload's pod template before admission; the injection webhook adds " +
	"istio-proxy (checked by the inject stage), so a missing proxy here is expected"
