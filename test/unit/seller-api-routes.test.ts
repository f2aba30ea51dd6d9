import { describe, expect, it } from "vitest";
import {
  allowedMethods,
  gatewayRoutes,
  matchTemplate,
  ROUTES,
  resolveGatewayRoute,
  routeKey,
  SELLER_API_CATCH_ALL,
} from "#core/routes.ts";
import { ROUTE_HANDLERS } from "../../functions/seller-api/routes/index.ts";

describe("route table", () => {
  it("has exactly one seller-api handler per sellerApi route, and no handler without a route", () => {
    const tableKeys = ROUTES.filter((r) => r.function === "sellerApi")
      .map(routeKey)
      .sort();
    expect(Object.keys(ROUTE_HANDLERS).sort()).toEqual(tableKeys);
  });

  it("has no duplicate method+path and only API Gateway-style paths", () => {
    const keys = ROUTES.map(routeKey);
    expect(new Set(keys).size).toBe(keys.length);
    for (const route of ROUTES) expect(route.path).toMatch(/^(\/([a-z0-9-]+|\{[A-Za-z]+\}))+$/);
  });

  it("puts every /v1 route behind IAM and keeps Pincode's routes off it", () => {
    for (const route of ROUTES) {
      if (route.path.startsWith("/v1/")) expect(route).toMatchObject({ function: "sellerApi", auth: "iam" });
      else expect(route.auth).toBe("pincode");
    }
  });

  it("gives API Gateway an ANY method per seller resource and the /v1 catch-all", () => {
    const gateway = gatewayRoutes();
    expect(gateway).toContainEqual({ method: "ANY", path: "/v1/orders/{orderId}", function: "sellerApi", auth: "iam" });
    expect(gateway).toContainEqual({ method: "ANY", path: SELLER_API_CATCH_ALL, function: "sellerApi", auth: "iam" });
    expect(gateway.filter((r) => r.path.startsWith("/pincode")).every((r) => r.method === "POST")).toBe(true);
  });

  it("resolves like API Gateway: literal beats parameter beats catch-all, exact method beats ANY", () => {
    expect(resolveGatewayRoute("GET", "/v1/orders")?.route).toMatchObject({ method: "GET", path: "/v1/orders" });
    expect(resolveGatewayRoute("PATCH", "/v1/orders")?.route).toMatchObject({ method: "ANY", path: "/v1/orders" });
    expect(resolveGatewayRoute("GET", "/v1/orders/O%2F1")).toMatchObject({
      route: { method: "GET", path: "/v1/orders/{orderId}" },
      params: { orderId: "O/1" },
    });
    expect(resolveGatewayRoute("GET", "/v1/orders/O1/commands")?.route.path).toBe("/v1/orders/{orderId}/commands");
    expect(resolveGatewayRoute("GET", "/v1/orders/O1/nope")).toMatchObject({
      route: { method: "ANY", path: SELLER_API_CATCH_ALL },
      params: { proxy: "orders/O1/nope" },
    });
    expect(resolveGatewayRoute("GET", "/pincode/callbacks")).toBeUndefined();
    expect(resolveGatewayRoute("POST", "/elsewhere")).toBeUndefined();
  });

  it("matches templates segment by segment", () => {
    expect(matchTemplate("/v1/stores/{storeId}", "/v1/stores/S01")?.params).toEqual({ storeId: "S01" });
    expect(matchTemplate("/v1/stores/{storeId}", "/v1/stores")).toBeUndefined();
    expect(matchTemplate("/v1/stores/{storeId}", "/v1/stores/S01/x")).toBeUndefined();
    expect(allowedMethods("/v1/stores/{storeId}")).toEqual(["PUT", "DELETE"]);
  });
});
