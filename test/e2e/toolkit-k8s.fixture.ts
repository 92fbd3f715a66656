// A small fake of the Kubernetes API for `crossdock k8s pull-secret` E2E tests: Secrets in one Map
// behind GET/POST/PUT on /api/v1/namespaces/NS/secrets[/NAME], bearer-token auth on writes, resourceVersion
// checked on replace (409 on a stale one), `Status` objects for errors as the API server sends
// them, the discovery documents kubectl asks for first, and 500s to inject. Plus a kubeconfig
// file pointing at it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import type { V1Secret } from '@kubernetes/client-node';

/** The bearer token the fake accepts. */
export const KUBE_TOKEN = 'fake-cluster-token';

/** A running fake API server. */
export interface FakeKube {
  readonly url: string;
  /** Stored Secrets by `namespace/name`. */
  readonly secrets: Map<string, V1Secret>;
  /** `METHOD path` of every request, in order. */
  readonly requests: string[];
  /** Answer the next `n` Secret requests with 500. */
  failNext(n: number): void;
  /**
   * Writes a kubeconfig whose current context `nowhere` has no server, whose context `fake` is this
   * server, and whose context `stranger` is this server with a token it refuses.
   */
  writeKubeconfig(file: string): Promise<void>;
  close(): Promise<void>;
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      code,
    }),
  );
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<V1Secret> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as V1Secret;
}

/** Starts the fake on a free port of 127.0.0.1. */
export async function startFakeKube(): Promise<FakeKube> {
  const secrets = new Map<string, V1Secret>();
  const requests: string[] = [];
  let failures = 0;
  let version = 100;
  const discovery: Record<string, unknown> = {
    '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
    '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [] },
    '/api/v1': {
      kind: 'APIResourceList',
      groupVersion: 'v1',
      resources: [
        {
          name: 'secrets',
          singularName: 'secret',
          namespaced: true,
          kind: 'Secret',
          verbs: ['create', 'get', 'list', 'update', 'patch', 'delete'],
        },
      ],
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(`${req.method} ${path}`);
    // Reads are open because kubectl sends no bearer token over plain HTTP; writes need the token.
    if (req.method !== 'GET' && req.headers.authorization !== `Bearer ${KUBE_TOKEN}`)
      return status(res, 401, 'Unauthorized', 'Unauthorized');
    if (req.method === 'GET' && discovery[path] !== undefined) return json(res, 200, discovery[path]);
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/]+))?$/.exec(path);
    if (m === null) return status(res, 404, 'NotFound', 'the server could not find the requested resource');
    if (failures > 0) {
      failures--;
      return status(res, 500, 'InternalError', 'injected failure');
    }
    const ns = m[1]!;
    const name = m[2];
    const key = `${ns}/${name}`;
    const stamp = (s: V1Secret, n: string): V1Secret => ({
      ...s,
      metadata: { ...s.metadata, name: n, namespace: ns, resourceVersion: String(++version) },
    });
    if (req.method === 'GET' && name !== undefined) {
      const s = secrets.get(key);
      return s === undefined
        ? status(res, 404, 'NotFound', `secrets "${name}" not found`)
        : json(res, 200, s);
    }
    if (req.method === 'POST' && name === undefined) {
      const body = await readBody(req);
      const n = body.metadata?.name ?? '';
      if (secrets.has(`${ns}/${n}`))
        return status(res, 409, 'AlreadyExists', `secrets "${n}" already exists`);
      const s = stamp(body, n);
      secrets.set(`${ns}/${n}`, s);
      return json(res, 201, s);
    }
    if (req.method === 'PUT' && name !== undefined) {
      const body = await readBody(req);
      const current = secrets.get(key);
      if (current === undefined) return status(res, 404, 'NotFound', `secrets "${name}" not found`);
      if (body.metadata?.resourceVersion !== current.metadata?.resourceVersion)
        return status(
          res,
          409,
          'Conflict',
          `the object has been modified; please apply your changes to the latest version`,
        );
      const s = stamp(body, name);
      secrets.set(key, s);
      return json(res, 200, s);
    }
    return status(res, 405, 'MethodNotAllowed', `${req.method} is not supported here`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => status(res, 500, 'InternalError', err.message));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    secrets,
    requests,
    failNext(n) {
      failures = n;
    },
    async writeKubeconfig(file) {
      const doc = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'fake', cluster: { server: url, 'insecure-skip-tls-verify': true } },
          { name: 'nowhere', cluster: { server: 'http://127.0.0.1:1', 'insecure-skip-tls-verify': true } },
        ],
        users: [
          { name: 'tester', user: { token: KUBE_TOKEN } },
          { name: 'stranger', user: { token: 'not-the-token' } },
        ],
        contexts: [
          { name: 'fake', context: { cluster: 'fake', user: 'tester' } },
          { name: 'nowhere', context: { cluster: 'nowhere', user: 'tester' } },
          { name: 'stranger', context: { cluster: 'fake', user: 'stranger' } },
        ],
        'current-context': 'nowhere',
      };
      await writeFile(file, JSON.stringify(doc, null, 2), { mode: 0o600 });
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
