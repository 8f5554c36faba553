import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  ComfyHistoryEntry,
  describeValidationError,
  executionOutcome,
  fillWorkflow,
  findOutputFile,
  parseHistoryEntry,
  parseWorkflow,
  placeholdersOf,
  queuePosition,
  videoFrames,
  workflowValues,
} from './comfyui.workflow';

const TEMPLATE_FILE = path.resolve(__dirname, '../../../templates/comfyui/text-to-video.json');

describe('fillWorkflow', () => {
  const template = {
    '3': { class_type: 'KSampler', inputs: { seed: '{{seed}}', steps: 30, model: ['4', 0] } },
    '6': { class_type: 'CLIPTextEncode', inputs: { text: '{{ prompt }}' } },
    '9': { class_type: 'SaveVideo', inputs: { filename_prefix: 'adloom/{{prompt_hash}}_{{seed}}' } },
  };

  it('keeps the type of a whole placeholder and interpolates text', () => {
    const filled = fillWorkflow(template, { seed: 42, prompt: 'a {{weird}} $& prompt', prompt_hash: 'abc' });
    expect(filled['3'].inputs).toEqual({ seed: 42, steps: 30, model: ['4', 0] });
    expect(filled['6'].inputs.text).toBe('a {{weird}} $& prompt');
    expect(filled['9'].inputs.filename_prefix).toBe('adloom/abc_42');
    expect(template['3'].inputs.seed).toBe('{{seed}}');
  });

  it('names unknown placeholders instead of sending them', () => {
    expect(() => fillWorkflow(template, { seed: 1, prompt: 'x' })).toThrow(
      'unknown placeholder {{prompt_hash}}',
    );
  });
});

describe('the text-to-video template', () => {
  const template = parseWorkflow(JSON.parse(readFileSync(TEMPLATE_FILE, 'utf8')));
  const request = {
    prompt: 'a fox',
    promptHash: 'f'.repeat(64),
    width: 720,
    height: 1280,
    durationMs: 4000,
    seed: 7,
  };

  it('uses only documented placeholders, and every one of them is filled with its type', () => {
    expect(placeholdersOf(template)).toEqual([
      'fps',
      'frames',
      'height',
      'prompt',
      'prompt_hash',
      'seed',
      'width',
    ]);
    const filled = fillWorkflow(template, workflowValues(request));
    expect(placeholdersOf(filled)).toEqual([]);
    const latent = Object.values(filled).find((node) => node.class_type === 'EmptyHunyuanLatentVideo')!;
    expect(latent.inputs).toMatchObject({ width: 720, height: 1280, length: 65 });
    const sampler = Object.values(filled).find((node) => node.class_type === 'KSampler')!;
    expect(sampler.inputs.seed).toBe(7);
    const save = Object.values(filled).find((node) => node.class_type === 'SaveVideo')!;
    expect(save.inputs).toMatchObject({ filename_prefix: `adloom/${'f'.repeat(64)}`, format: 'mp4' });
  });

  it('links only to nodes that exist', () => {
    for (const node of Object.values(template)) {
      for (const value of Object.values(node.inputs)) {
        if (Array.isArray(value)) expect(Object.keys(template)).toContain(value[0]);
      }
    }
  });
});

describe('workflowValues', () => {
  it('rounds the size to multiples of 16 and counts 4k+1 frames', () => {
    const values = workflowValues({
      prompt: 'p',
      promptHash: 'ab',
      width: 1080,
      height: 1920,
      durationMs: 5000,
      seed: -3,
    });
    expect(values).toMatchObject({
      width: 1088,
      height: 1920,
      frames: 81,
      fps: 16,
      seed: 3,
      duration_seconds: 5,
    });
    expect(videoFrames(1000, 16)).toBe(17);
    expect(videoFrames(4000, 16)).toBe(65);
  });
});

describe('parseWorkflow', () => {
  it('refuses the UI format and nodes without a class', () => {
    expect(() => parseWorkflow({ nodes: [], links: [] })).toThrow('UI format');
    expect(() => parseWorkflow({ '1': { inputs: {} } })).toThrow('node "1"');
    expect(() => parseWorkflow([])).toThrow();
  });
});

describe('findOutputFile', () => {
  it('prefers a saved MP4 over previews, images and GIFs', () => {
    expect(
      findOutputFile({
        '12': { images: [{ filename: 'frame.png', subfolder: '', type: 'output' }] },
        '13': { gifs: [{ filename: 'clip.gif', subfolder: 'a', type: 'output' }] },
        '14': { images: [{ filename: 'preview.mp4', subfolder: '', type: 'temp' }] },
        '50': {
          images: [{ filename: 'clip_00001_.mp4', subfolder: 'adloom', type: 'output' }],
          animated: [true],
        },
      }),
    ).toEqual({ nodeId: '50', filename: 'clip_00001_.mp4', subfolder: 'adloom', type: 'output' });
  });

  it('takes a GIF when that is all there is, and nothing from a run that saved only stills', () => {
    expect(
      findOutputFile({ '13': { gifs: [{ filename: 'clip.gif', subfolder: 'a', type: 'output' }] } })
        ?.filename,
    ).toBe('clip.gif');
    expect(
      findOutputFile({ '9': { images: [{ filename: 'x.png', subfolder: '', type: 'output' }] } }),
    ).toBeUndefined();
    expect(findOutputFile({})).toBeUndefined();
  });
});

describe('history', () => {
  const entry = (messages: ComfyHistoryEntry['messages'], statusStr = 'success'): ComfyHistoryEntry => ({
    outputs: {},
    statusStr,
    completed: statusStr === 'success',
    messages,
  });

  it('is absent until the prompt has finished, and an error when the body is not an object', () => {
    expect(parseHistoryEntry({}, 'p1')).toBeUndefined();
    expect(
      parseHistoryEntry(
        { p1: { outputs: { '9': {} }, status: { status_str: 'success', completed: true, messages: [] } } },
        'p1',
      ),
    ).toEqual({ outputs: { '9': {} }, statusStr: 'success', completed: true, messages: [] });
    expect(() => parseHistoryEntry('oops', 'p1')).toThrow(TypeError);
  });

  it('measures execution from execution_start to the message that ended it', () => {
    expect(
      executionOutcome(
        entry([
          ['execution_start', { timestamp: 1_000 }],
          ['execution_success', { timestamp: 4_500 }],
        ]),
      ),
    ).toEqual({ state: 'success', executionSeconds: 3.5 });
  });

  it('reports the failing node and what it said', () => {
    expect(
      executionOutcome(
        entry(
          [
            ['execution_start', { timestamp: 1_000 }],
            [
              'execution_error',
              { timestamp: 2_000, node_id: '3', node_type: 'KSampler', exception_message: 'CUDA OOM\n' },
            ],
          ],
          'error',
        ),
      ),
    ).toEqual({
      state: 'error',
      executionSeconds: 1,
      error: { nodeId: '3', nodeType: 'KSampler', exceptionType: undefined, message: 'CUDA OOM' },
    });
    expect(executionOutcome(entry([['execution_interrupted', {}]], 'error')).state).toBe('interrupted');
  });

  it('finds a prompt in the queue', () => {
    const queue = { queue_running: [[3, 'p3', {}, {}, []]], queue_pending: [[4, 'p4', {}, {}, []]] };
    expect(queuePosition(queue, 'p3')).toBe('running');
    expect(queuePosition(queue, 'p4')).toBe('pending');
    expect(queuePosition(queue, 'p5')).toBe('absent');
  });
});

describe('describeValidationError', () => {
  it('says which node failed and why', () => {
    expect(
      describeValidationError({
        error: {
          type: 'prompt_outputs_failed_validation',
          message: 'Prompt outputs failed validation',
          details: '',
        },
        node_errors: {
          '40': {
            class_type: 'EmptyHunyuanLatentVideo',
            errors: [{ message: 'Value not valid', details: 'width: 5 smaller than min of 16' }],
          },
        },
      }),
    ).toBe(
      'Prompt outputs failed validation; node 40 (EmptyHunyuanLatentVideo): Value not valid: width: 5 smaller than min of 16',
    );
  });
});
