/**
 * infra/ against the code: the Kubernetes manifests parse, set only settings libs/config knows (with
 * values it accepts), run every queue where the issue says, and point KEDA at the Redis lists BullMQ
 * really uses; the Terraform hands over settings by the same names and refers only to what it declares.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { Queue, Worker } from 'bullmq';
import { parseAllDocuments } from 'yaml';
import { AdloomConfig, loadConfig, SETTING_NAMES } from '@adloom/config';
import { QUEUES, QueueName, redisConnection } from '@adloom/queue';
import { parseWorkerQueues } from '../apps/worker/src/worker';

const INFRA = path.resolve(__dirname, '../infra');
const K8S = path.join(INFRA, 'k8s');
const TERRAFORM = path.join(INFRA, 'terraform');
const SETTINGS = new Set<string>(SETTING_NAMES);
/** The image every Adloom process runs (kustomization.yaml maps it to the registry). */
const ADLOOM_IMAGE = 'adloom';
/** What `adloom` closes within after SHUTDOWN_GRACE (CLOSE_MARGIN_MS in apps/cli). */
const CLOSE_MARGIN_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// Kubernetes

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
  };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
  exec?: { command: string[] };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
}
interface PodSpec {
  containers: Container[];
  initContainers?: (Container & { restartPolicy?: string })[];
  terminationGracePeriodSeconds?: number;
  nodeSelector?: Record<string, string>;
  tolerations?: { key?: string; effect?: string }[];
  serviceAccountName?: string;
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  resources?: string[];
}
interface Workload extends Manifest {
  spec: {
    selector?: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}

function loadManifests(): { file: string; doc: Manifest }[] {
  const found: { file: string; doc: Manifest }[] = [];
  for (const file of fs.readdirSync(K8S).filter((f) => /\.ya?ml$/.test(f))) {
    for (const document of parseAllDocuments(fs.readFileSync(path.join(K8S, file), 'utf8'))) {
      if (document.errors.length)
        throw new Error(`${file}: ${document.errors.map((e) => e.message).join('; ')}`);
      const doc = document.toJS() as Manifest | null;
      if (doc) found.push({ file, doc });
    }
  }
  return found;
}

const manifests = loadManifests();
const docs = manifests.map((m) => m.doc).filter((d) => d.kind !== 'Kustomization');
const ofKind = <T extends Manifest = Manifest>(kind: string) => docs.filter((d) => d.kind === kind) as T[];
const named = <T extends Manifest = Manifest>(kind: string, name: string) => {
  const found = ofKind<T>(kind).find((d) => d.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in infra/k8s`);
  return found;
};
const workloads = [...ofKind<Workload>('Deployment'), ...ofKind<Workload>('Job')];
const podOf = (w: Workload) => w.spec.template.spec;
const adloomContainers = (w: Workload) =>
  [...podOf(w).containers, ...(podOf(w).initContainers ?? [])].filter((c) => c.image === ADLOOM_IMAGE);

/** What the process in `container` sees: envFrom in order, then env (which wins, as in Kubernetes). */
function environmentOf(container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, named('ConfigMap', from.configMapRef.name).data);
    if (from.secretRef) Object.assign(env, named('Secret', from.secretRef.name).stringData);
  }
  for (const v of container.env ?? []) {
    const ref = v.valueFrom?.secretKeyRef ?? v.valueFrom?.configMapKeyRef;
    if (ref) {
      const source = v.valueFrom?.secretKeyRef
        ? named('Secret', ref.name).stringData
        : named('ConfigMap', ref.name).data;
      if (!source || !(ref.key in source)) throw new Error(`${v.name}: no key ${ref.key} in ${ref.name}`);
      env[v.name] = source[ref.key];
    } else env[v.name] = v.value ?? '';
  }
  return env;
}

const configOf = (container: Container): AdloomConfig => loadConfig(environmentOf(container));

/** `adloom worker --queues a,b` → what it consumes; undefined for anything else. */
function consumptionOf(container: Container): ReturnType<typeof parseWorkerQueues> | undefined {
  const args = container.args ?? [];
  if (args[0] !== 'worker') return undefined;
  const i = args.indexOf('--queues');
  return parseWorkerQueues(i >= 0 ? args[i + 1] : '');
}
const queuesOf = (container: Container): QueueName[] | undefined => consumptionOf(container)?.queues;

const workers = ofKind<Workload>('Deployment').flatMap((d) =>
  adloomContainers(d)
    .map((c) => ({ deployment: d, container: c, queues: queuesOf(c) }))
    .filter((w): w is { deployment: Workload; container: Container; queues: QueueName[] } => !!w.queues),
);

describe('infra/k8s', () => {
  it('parses, and kustomization.yaml lists every manifest', () => {
    const kustomization = manifests.find((m) => m.file === 'kustomization.yaml')!.doc;
    const files = [...new Set(manifests.map((m) => m.file))].filter((f) => f !== 'kustomization.yaml');
    expect([...(kustomization.resources ?? [])].sort()).toEqual(files.sort());
    for (const doc of docs) {
      expect(typeof doc.apiVersion).toBe('string');
      expect(doc.metadata?.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
    expect(workloads.map((w) => w.metadata.name).sort()).toEqual([
      'adloom-api',
      'adloom-edge',
      'adloom-migrate',
      'adloom-worker-cpu',
      'adloom-worker-gpu',
    ]);
  });

  it('sets no variable that libs/config does not know', () => {
    const unknown: string[] = [];
    for (const w of workloads) {
      for (const c of adloomContainers(w)) {
        for (const name of Object.keys(environmentOf(c)))
          if (!SETTINGS.has(name)) unknown.push(`${w.metadata.name}/${c.name}: ${name}`);
        for (const from of c.envFrom ?? []) {
          const source = from.configMapRef
            ? named('ConfigMap', from.configMapRef.name).data
            : named('Secret', from.secretRef!.name).stringData;
          for (const name of Object.keys(source ?? {}))
            if (!SETTINGS.has(name))
              unknown.push(`${from.configMapRef?.name ?? from.secretRef?.name}: ${name}`);
        }
      }
      // Containers of other images (the ComfyUI sidecar) get no Adloom settings.
      for (const c of [...podOf(w).containers, ...(podOf(w).initContainers ?? [])].filter(
        (c) => c.image !== ADLOOM_IMAGE,
      ))
        expect({ container: c.name, env: c.env ?? [], envFrom: c.envFrom ?? [] }).toEqual({
          container: c.name,
          env: [],
          envFrom: [],
        });
    }
    expect(unknown).toEqual([]);
  });

  it('gives every process the settings it needs, with values libs/config accepts', () => {
    for (const w of workloads) {
      for (const c of adloomContainers(w)) {
        const env = environmentOf(c);
        const needed = ['NODE_ENV', 'ADLOOM_SERVICES', 'DATABASE_URL'];
        if (c.args?.[0] !== 'migrate')
          needed.push('REDIS_URL', 'QUEUE_PREFIX', 'S3_BUCKET', 'S3_REGION', 'SHUTDOWN_GRACE');
        if (c.args?.[0] === 'api')
          needed.push(
            'PORT',
            'PUBLIC_BASE_URL',
            'PUBLIC_EDGE_URL',
            'PUBLIC_RENDER_BASE_URL',
            'TRACKING_SECRET',
          );
        if (c.args?.[0] === 'edge')
          needed.push('EDGE_PORT', 'PUBLIC_EDGE_URL', 'PUBLIC_RENDER_BASE_URL', 'TRACKING_SECRET');
        if (c.args?.[0] === 'worker') needed.push('WORKER_HEALTH_PORT', 'PROVENANCE_SIGNING_KEY');
        expect({ process: `${w.metadata.name}/${c.name}`, missing: needed.filter((n) => !env[n]) }).toEqual({
          process: `${w.metadata.name}/${c.name}`,
          missing: [],
        });
        const config = configOf(c);
        expect(config.NODE_ENV).toBe('production');
        expect(config.ADLOOM_SERVICES).toBe('external');
      }
    }
  });

  it('consumes the engagement stream on the CPU workers, never on GPU nodes', () => {
    const consuming = ofKind<Workload>('Deployment').flatMap((d) =>
      adloomContainers(d)
        .filter((c) => consumptionOf(c)?.engagement)
        .map(() => d.metadata.name),
    );
    expect(consuming).toEqual(['adloom-worker-cpu']);
  });

  it('runs every queue somewhere, generate only on GPU nodes, one job per GPU', () => {
    const served = new Set(workers.flatMap((w) => w.queues));
    expect([...served].sort()).toEqual([...QUEUES].sort());
    const generating = workers.filter((w) => w.queues.includes('generate'));
    expect(generating.map((w) => w.deployment.metadata.name)).toEqual(['adloom-worker-gpu']);
    const gpu = generating[0];
    expect(gpu.queues).toEqual(['generate']);
    expect(configOf(gpu.container).GENERATE_CONCURRENCY).toBe(1);
    const pod = podOf(gpu.deployment);
    const gpus = [...pod.containers, ...(pod.initContainers ?? [])].map((c) =>
      Number(c.resources?.limits?.['nvidia.com/gpu'] ?? 0),
    );
    expect(gpus.reduce((a, b) => a + b, 0)).toBe(1);
    expect(Object.keys(pod.nodeSelector ?? {})).not.toHaveLength(0);
    expect(pod.tolerations?.some((t) => t.key === 'nvidia.com/gpu')).toBe(true);
    // The model server outlives the worker on shutdown: a native sidecar.
    expect(pod.initContainers?.find((c) => c.image === 'comfyui')?.restartPolicy).toBe('Always');
    expect(configOf(gpu.container).COMFYUI_URL).toBe('http://127.0.0.1:8188');

    const cpu = workers.find((w) => w.deployment.metadata.name === 'adloom-worker-cpu')!;
    expect(cpu.queues).toEqual(expect.arrayContaining(['compose', 'optimize', 'housekeeping']));
    expect(JSON.stringify(podOf(cpu.deployment))).not.toContain('nvidia.com/gpu');
  });

  it('probes the API and the edge on /health/ready and /health/live, and workers on their health port', () => {
    for (const [name, setting] of [
      ['adloom-api', 'PORT'],
      ['adloom-edge', 'EDGE_PORT'],
    ] as const) {
      const [container] = adloomContainers(named<Workload>('Deployment', name));
      const port = container.ports!.find((p) => p.containerPort === configOf(container)[setting]);
      expect(port?.name).toBeDefined();
      expect(container.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: port!.name });
      expect(container.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: port!.name });
    }
    for (const w of workers) {
      const healthPort = configOf(w.container).WORKER_HEALTH_PORT;
      const named = w.container.ports!.find((p) => p.containerPort === healthPort)!.name;
      expect(w.container.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: named });
      expect(w.container.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: named });
    }
  });

  it('gives each pod time to finish its work before Kubernetes kills it', () => {
    for (const d of ofKind<Workload>('Deployment')) {
      const pod = podOf(d);
      for (const c of adloomContainers(d)) {
        const preStopMs =
          c.lifecycle?.preStop?.exec?.command[0] === 'sleep'
            ? Number(c.lifecycle.preStop.exec.command[1]) * 1000
            : 0;
        const needed = preStopMs + configOf(c).SHUTDOWN_GRACE + CLOSE_MARGIN_MS;
        expect({
          deployment: d.metadata.name,
          enough: (pod.terminationGracePeriodSeconds ?? 30) * 1000 >= needed,
        }).toEqual({
          deployment: d.metadata.name,
          enough: true,
        });
      }
    }
  });

  it('scales the API and the edge each with its own HPA and the workers with KEDA, never both', () => {
    const hpaTargets = ofKind('HorizontalPodAutoscaler').map(
      (h) => (h.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name,
    );
    const kedaTargets = ofKind('ScaledObject').map(
      (s) => (s.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name,
    );
    expect(hpaTargets.sort()).toEqual(['adloom-api', 'adloom-edge']);
    expect(kedaTargets.sort()).toEqual(['adloom-worker-cpu', 'adloom-worker-gpu']);
    for (const d of ofKind<Workload>('Deployment'))
      expect({ [d.metadata.name]: 'replicas' in d.spec }).toEqual({ [d.metadata.name]: false });
  });

  it('points KEDA at the wait and active lists of the queues each deployment serves', () => {
    type Trigger = {
      type: string;
      metadata: { listName: string; listLength: string };
      authenticationRef: { name: string };
    };
    const auths = new Set(ofKind('TriggerAuthentication').map((t) => t.metadata.name));
    for (const scaled of ofKind('ScaledObject')) {
      const spec = scaled.spec as { scaleTargetRef: { name: string }; triggers: Trigger[] };
      const worker = workers.find((w) => w.deployment.metadata.name === spec.scaleTargetRef.name)!;
      const prefix = configOf(worker.container).QUEUE_PREFIX;
      expect(spec.triggers.length).toBeGreaterThan(0);
      for (const trigger of spec.triggers) {
        expect(trigger.type).toBe('redis');
        expect(auths.has(trigger.authenticationRef.name)).toBe(true);
        const m = new RegExp(`^${prefix}:([a-z]+):(wait|active)$`).exec(trigger.metadata.listName);
        expect({
          listName: trigger.metadata.listName,
          served: !!m && worker.queues.includes(m[1] as QueueName),
        }).toEqual({
          listName: trigger.metadata.listName,
          served: true,
        });
        expect(Number(trigger.metadata.listLength)).toBeGreaterThan(0);
      }
    }
    const gpu = ofKind('ScaledObject').find((s) => s.metadata.name === 'adloom-worker-gpu')!.spec as {
      triggers: Trigger[];
    };
    expect(gpu.triggers.map((t) => t.metadata.listName).sort()).toEqual([
      'adloom:generate:active',
      'adloom:generate:wait',
    ]);
  });

  it('names the lists BullMQ really keeps waiting and active jobs in', async () => {
    const prefix = `infra${randomBytes(4).toString('hex')}`;
    const connection = redisConnection(process.env.ADLOOM_TEST_REDIS_URL!);
    const queue = new Queue('generate', { connection, prefix });
    const worker = new Worker('generate', null, { connection, prefix, autorun: false });
    const redis = new IORedis(process.env.ADLOOM_TEST_REDIS_URL!);
    try {
      await queue.add('generate', { workspaceId: 'w', variantId: 'v' });
      expect(await redis.llen(`${prefix}:generate:wait`)).toBe(1);
      const job = await worker.getNextJob('infra-test');
      expect(job).toBeDefined();
      expect(await redis.llen(`${prefix}:generate:wait`)).toBe(0);
      expect(await redis.llen(`${prefix}:generate:active`)).toBe(1);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      redis.disconnect();
    }
  });

  it('routes every Service to pods and ports that exist, and scrapes each metrics port', () => {
    const deployments = ofKind<Workload>('Deployment');
    const scrapePorts = (
      named('ServiceMonitor', 'adloom').spec as { endpoints: { port: string; path: string }[] }
    ).endpoints.map((e) => e.port);
    for (const service of ofKind('Service')) {
      const spec = service.spec as {
        selector: Record<string, string>;
        ports: { name: string; targetPort: string }[];
      };
      const target = deployments.filter((d) =>
        Object.entries(spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
      );
      expect({ service: service.metadata.name, deployments: target.length }).toEqual({
        service: service.metadata.name,
        deployments: 1,
      });
      const containerPorts = podOf(target[0])
        .containers.flatMap((c) => c.ports ?? [])
        .map((p) => p.name);
      for (const port of spec.ports) {
        expect(containerPorts).toContain(port.targetPort);
        expect(scrapePorts).toContain(port.name);
      }
    }
  });

  it('builds the image with only settings libs/config knows in its environment', () => {
    const dockerfile = fs.readFileSync(path.join(INFRA, 'docker/Dockerfile'), 'utf8');
    const names = [...dockerfile.matchAll(/^ENV\s+(.+)$/gm)].flatMap((m) =>
      [...m[1].matchAll(/([A-Z_][A-Z0-9_]*)=/g)].map((n) => n[1]),
    );
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !SETTINGS.has(n))).toEqual([]);
    // DATABASE_URL's sslrootcert is a file the image has.
    const url = new URL(named('Secret', 'adloom-secrets').stringData!.DATABASE_URL);
    expect(dockerfile).toContain(` ${url.searchParams.get('sslrootcert')}\n`);
  });
});

// ---------------------------------------------------------------------------------------------
// Terraform (no provider downloads here, so no `terraform validate`: a lexer and the references)

type Token = { kind: 'ident' | 'string' | 'number' | 'op'; text: string; line: number };

/**
 * HCL tokens with comments dropped; strings are single tokens and the expressions interpolated in
 * them are lexed into `inner`. Throws on unbalanced brackets, an unterminated string or a heredoc.
 */
function lexHcl(source: string, file: string): { tokens: Token[]; inner: Token[] } {
  const tokens: Token[] = [];
  const inner: Token[] = [];
  let i = 0;
  let line = 1;
  const fail = (why: string): never => {
    throw new Error(`${file}:${line}: ${why}`);
  };
  const lexExpression = (out: Token[], closer: string | null): void => {
    const stack: string[] = [];
    while (i < source.length) {
      const c = source[i];
      if (c === '\n') line++;
      if (closer && c === closer && stack.length === 0) return void i++;
      if (/\s/.test(c)) i++;
      else if (c === '#' || source.startsWith('//', i)) while (i < source.length && source[i] !== '\n') i++;
      else if (source.startsWith('/*', i)) {
        const end = source.indexOf('*/', i + 2);
        if (end < 0) fail('unterminated comment');
        line += source.slice(i, end).split('\n').length - 1;
        i = end + 2;
      } else if (source.startsWith('<<', i)) fail('heredocs are not used here');
      else if (c === '"') {
        i++;
        let text = '';
        while (source[i] !== '"') {
          if (i >= source.length || source[i] === '\n') fail('unterminated string');
          if (source[i] === '\\') {
            text += source[i] + source[i + 1];
            i += 2;
          } else if (source.startsWith('${', i)) {
            i += 2;
            lexExpression(inner, '}');
            text += '${…}';
          } else text += source[i++];
        }
        i++;
        out.push({ kind: 'string', text, line });
      } else if (/[A-Za-z_]/.test(c)) {
        const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(source.slice(i))!;
        out.push({ kind: 'ident', text: m[0], line });
        i += m[0].length;
      } else if (/[0-9]/.test(c)) {
        const m = /^[0-9]+(\.[0-9]+)?/.exec(source.slice(i))!;
        out.push({ kind: 'number', text: m[0], line });
        i += m[0].length;
      } else {
        const op = /^(==|!=|>=|<=|&&|\|\||=>|\.\.\.|[{}()[\]=,.:?!<>+\-*/%])/.exec(source.slice(i))?.[0];
        if (!op) fail(`unexpected "${c}"`);
        if ('{(['.includes(op!)) stack.push(op!);
        if ('})]'.includes(op!)) {
          const open = stack.pop();
          if (!open || '{(['.indexOf(open) !== '})]'.indexOf(op!)) fail(`unbalanced "${op}"`);
        }
        out.push({ kind: 'op', text: op!, line });
        i += op!.length;
      }
    }
    if (closer) fail('unterminated interpolation');
    if (stack.length) fail(`unclosed "${stack.pop()}"`);
  };
  lexExpression(tokens, null);
  return { tokens, inner };
}

interface Block {
  type: string;
  labels: string[];
  body: Token[];
}

/** Top-level blocks (`resource "aws_s3_bucket" "media" { … }`) with the tokens of their bodies. */
function blocksOf(tokens: Token[]): Block[] {
  const blocks: Block[] = [];
  let i = 0;
  while (i < tokens.length) {
    const type = tokens[i++];
    if (type.kind !== 'ident') throw new Error(`line ${type.line}: expected a block, got "${type.text}"`);
    const labels: string[] = [];
    while (tokens[i]?.kind === 'string') labels.push(tokens[i++].text);
    if (tokens[i]?.text !== '{') throw new Error(`line ${type.line}: expected "{" after ${type.text}`);
    let depth = 0;
    const start = i + 1;
    do {
      if (tokens[i].text === '{') depth++;
      if (tokens[i].text === '}') depth--;
      i++;
    } while (depth > 0);
    blocks.push({ type: type.text, labels, body: tokens.slice(start, i - 1) });
  }
  return blocks;
}

/** The keys of the map assigned to `name` directly inside `body` (e.g. `settings = { A = …, B = … }`). */
function mapKeys(body: Token[], name: string): string[] {
  const at = body.findIndex(
    (t, i) => t.text === name && body[i + 1]?.text === '=' && body[i + 2]?.text === '{',
  );
  if (at < 0) return [];
  const keys: string[] = [];
  let depth = 0;
  for (let i = at + 2; i < body.length; i++) {
    const t = body[i];
    if ('{(['.includes(t.text) && t.kind === 'op') depth++;
    else if ('})]'.includes(t.text) && t.kind === 'op') {
      if (--depth === 0) break;
    } else if (depth === 1 && t.kind === 'ident' && body[i + 1]?.text === '=' && body[i - 1]?.text !== '.')
      keys.push(t.text);
  }
  return keys;
}

describe('infra/terraform', () => {
  const files = fs.readdirSync(TERRAFORM).filter((f) => f.endsWith('.tf'));
  const lexed = files.map((f) => ({
    file: f,
    ...lexHcl(fs.readFileSync(path.join(TERRAFORM, f), 'utf8'), f),
  }));
  const blocks = lexed.flatMap((l) => blocksOf(l.tokens));
  const allTokens = lexed.flatMap((l) => [...l.tokens, ...l.inner]);
  const locals = blocks.filter((b) => b.type === 'locals').flatMap((b) => b.body);
  const settings = mapKeys(locals, 'settings');
  const secretSettings = mapKeys(locals, 'secret_settings');

  it('is well formed: balanced, block by block', () => {
    expect(files.sort()).toEqual([
      'cloudfront.tf',
      'iam.tf',
      'main.tf',
      'outputs.tf',
      'postgres.tf',
      'redis.tf',
      's3.tf',
      'variables.tf',
      'versions.tf',
    ]);
    expect(new Set(blocks.map((b) => b.type))).toEqual(
      new Set(['terraform', 'provider', 'variable', 'locals', 'resource', 'data', 'output']),
    );
  });

  it('hands over settings by the names libs/config reads, and infra/k8s has a place for each', () => {
    expect(settings.length).toBeGreaterThan(0);
    expect([...settings, ...secretSettings].filter((n) => !SETTINGS.has(n))).toEqual([]);
    expect([...settings, ...secretSettings].sort()).toEqual([
      'DATABASE_URL',
      'PUBLIC_RENDER_BASE_URL',
      'REDIS_URL',
      'S3_BUCKET',
      'S3_REGION',
    ]);
    const configMap = named('ConfigMap', 'adloom-config').data!;
    const secret = named('Secret', 'adloom-secrets').stringData!;
    expect(settings.filter((n) => !(n in configMap))).toEqual([]);
    expect(secretSettings.filter((n) => !(n in secret))).toEqual([]);
    const outputs = blocks.filter((b) => b.type === 'output').map((b) => b.labels[0]);
    expect(outputs).toEqual(expect.arrayContaining(['settings', 'secret_settings', 'keda_redis']));
    // KEDA's Redis secret has exactly the keys the keda_redis output gives.
    const keda = blocks.find((b) => b.type === 'output' && b.labels[0] === 'keda_redis')!;
    expect(mapKeys(keda.body, 'value').sort()).toEqual(
      Object.keys(named('Secret', 'adloom-keda-redis').stringData!).sort(),
    );
  });

  it('declares every variable it uses and uses every variable it declares', () => {
    const declared = blocks.filter((b) => b.type === 'variable').map((b) => b.labels[0]);
    const used = new Set(
      allTokens.flatMap((t, i) =>
        t.text === 'var' && allTokens[i + 1]?.text === '.' ? [allTokens[i + 2].text] : [],
      ),
    );
    expect([...used].filter((v) => !declared.includes(v))).toEqual([]);
    expect(declared.filter((v) => !used.has(v))).toEqual([]);
  });

  it('refers only to resources and data sources it declares', () => {
    const resources = new Set(blocks.filter((b) => b.type === 'resource').map((b) => b.labels.join('.')));
    const data = new Set(blocks.filter((b) => b.type === 'data').map((b) => b.labels.join('.')));
    const missing: string[] = [];
    allTokens.forEach((t, i) => {
      if (t.kind !== 'ident' || allTokens[i - 1]?.text === '.' || allTokens[i + 1]?.text !== '.') return;
      const next = allTokens[i + 2]?.text;
      if (t.text === 'data') {
        const ref = `${next}.${allTokens[i + 4]?.text}`;
        if (!data.has(ref)) missing.push(`data.${ref}`);
      } else if (/^(aws|random)_/.test(t.text) && !resources.has(`${t.text}.${next}`))
        missing.push(`${t.text}.${next}`);
    });
    expect(missing).toEqual([]);
  });

  it('keeps queue keys in Redis: ElastiCache evicts nothing', () => {
    const group = blocks.find(
      (b) => b.type === 'resource' && b.labels[0] === 'aws_elasticache_parameter_group',
    )!;
    const texts = group.body.map((t) => t.text);
    expect(texts[texts.indexOf('maxmemory-policy') + 3]).toBe('noeviction');
  });
});
