/** How an external service leaves through the gateway. */
export interface EgressLeg {
  /** Construct path of the external service. */
  readonly path: string;
  /** Subset name (unique per egress gateway). */
  readonly subset: string;
  /** The external host. */
  readonly host: string;
  /** `http`: plain HTTP from the app, mTLS to the gateway on port 80; `tls`: TLS passthrough on port 443 by SNI. */
  readonly kind: 'http' | 'tls';
}
