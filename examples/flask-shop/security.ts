/**
 * Security of the flask shop: STRICT mTLS for the namespace, user-service
 * admits only order-service (GET on its paths), and the shop's public API
 * (order-service) requires an end-user JWT.
 */
import { Construct } from 'constructs';
import { HttpMethod, JwtAuthentication, MeshService, StrictMtls } from '../../src';

export const SHOP_ISSUER = 'https://auth.acme-shop.example';

export interface ShopSecurity {
  readonly mtls: StrictMtls;
  readonly jwt: JwtAuthentication;
}

/** Adds the shop's mTLS, authorization and end-user authentication to `scope`. */
export function secureShop(scope: Construct, namespace: string, users: MeshService, orders: MeshService): ShopSecurity {
  const mtls = new StrictMtls(scope, 'shop-mtls', { namespace });

  users.allowFrom(orders, { methods: [HttpMethod.GET], paths: ['/users', '/users/*'] });

  const jwt = new JwtAuthentication(scope, 'shop-jwt', {
    service: orders,
    issuer: SHOP_ISSUER,
    jwksUri: `${SHOP_ISSUER}/.well-known/jwks.json`,
    audiences: ['shop-api'],
  });
  orders.requireJwt(jwt, { paths: ['/api/*'] });

  return { mtls, jwt };
}
