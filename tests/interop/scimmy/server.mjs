// SCIMMY (npm `scimmy` + `scimmy-routers` on express) with the glue the library leaves to the
// application: an in-memory store, a bearer-token check and the ServiceProviderConfig switches
// for what the library implements. Nothing here changes how SCIMMY speaks SCIM.
//
// Usage: node server.mjs PORT   (token in SCIM_TOKEN); prints "listening PORT" when ready.
import crypto from "node:crypto";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

const port = Number(process.argv[2] || 0);
const token = process.env.SCIM_TOKEN || "";

// The library implements PATCH, filtering and sorting; the application declares them.
SCIMMY.Config.set({ patch: true, filter: 200, sort: true });

const stores = { User: new Map(), Group: new Map() };
const uniqueKey = { User: "userName", Group: null };

function notFound(id) {
  return new SCIMMY.Types.Error(404, null, `Resource ${id} not found`);
}

// A user's `groups` is derived from the groups' members (RFC 7643 §4.1.2): the store knows them.
function withGroups(kind, item) {
  if (kind !== "User") return item;
  const groups = [...stores.Group.values()]
    .filter((g) => (g.members || []).some((m) => m.value === item.id))
    .map((g) => ({ value: g.id, display: g.displayName, type: "direct" }));
  return { ...item, groups };
}

function declare(Resource, kind) {
  const store = stores[kind];
  SCIMMY.Resources.declare(Resource)
    .egress((resource) => {
      if (resource.id) {
        if (!store.has(resource.id)) throw notFound(resource.id);
        return withGroups(kind, store.get(resource.id));
      }
      const all = [...store.values()].map((item) => withGroups(kind, item));
      return resource.filter ? resource.filter.match(all) : all;
    })
    .ingress((resource, instance) => {
      const key = uniqueKey[kind];
      if (resource.id && !store.has(resource.id)) throw notFound(resource.id);
      if (key) {
        const wanted = String(instance[key]).toLowerCase();  // userName is caseExact false (RFC 7643 §4.1.1)
        for (const [id, other] of store) {
          if (id !== resource.id && String(other[key]).toLowerCase() === wanted) {
            throw new SCIMMY.Types.Error(409, "uniqueness", `${key} already in use`);
          }
        }
      }
      const now = new Date().toISOString();
      const before = resource.id ? store.get(resource.id) : null;
      const id = resource.id || crypto.randomUUID();
      const created = before ? before.meta.created : now;
      const stored = { ...JSON.parse(JSON.stringify(instance)), id, meta: { created, lastModified: now } };
      delete stored.groups;  // derived, never stored
      store.set(id, stored);
      return withGroups(kind, stored);
    })
    .degress((resource) => {
      if (!store.delete(resource.id)) throw notFound(resource.id);
      if (kind === "User") {
        // A deleted user leaves the groups it belonged to (the store's job, not the library's).
        for (const group of stores.Group.values()) {
          if (Array.isArray(group.members)) group.members = group.members.filter((m) => m.value !== resource.id);
        }
      }
    });
}

// The enterprise extension ships with SCIMMY; an application declares it (Entra ID sends it).
declare(SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false), "User");
declare(SCIMMY.Resources.Group, "Group");

const app = express();
app.use("/scim/v2", new SCIMMYRouters({
  type: "bearer",
  handler: (request) => {
    const given = request.header("Authorization") || "";
    if (!token || given !== `Bearer ${token}`) throw new Error("Authorization failed");
    return "interop-client";
  },
}));

const server = app.listen(port, "127.0.0.1", () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
// Node closes an idle keep-alive connection after 5 s, exactly when httpx (the harness) still
// reuses it: a request then meets ECONNRESET and a check reads "not judged". Production Node
// servers raise this timeout; so does the glue (docs/interop.md says why).
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
process.on("SIGTERM", () => server.close(() => process.exit(0)));
