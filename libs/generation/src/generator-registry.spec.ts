import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigModule, loadConfig } from '@adloom/config';
import { GenerationModule } from './generation.module';
import { GeneratorRegistry } from './generator-registry';
import { GenerationError } from './video-generator';

describe('GeneratorRegistry', () => {
  it('is provided by GenerationModule and knows every generator by name', async () => {
    @Module({
      imports: [ConfigModule.forRoot(loadConfig({ OPENAI_VIDEO_MODEL: 'sora-2-pro' })), GenerationModule],
    })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    try {
      const registry = app.get(GeneratorRegistry);
      expect(registry.list().map((generator) => [generator.name, generator.defaultModel])).toEqual([
        ['procedural', 'storyboard-v1'],
        ['openai-videos', 'sora-2-pro'],
        ['comfyui', 'text-to-video'],
        ['fal', 'wan-2.2'],
        ['gemini-veo', 'veo-3.1-fast-generate-preview'],
      ]);
      expect(registry.get('openai-videos').name).toBe('openai-videos');
    } finally {
      await app.close();
    }
  });

  it('resolves a route: each entry keeps its model or takes its provider’s configured default', () => {
    const registry = new GeneratorRegistry(loadConfig({ FAL_MODEL: 'ltx-video' }));
    expect(registry.resolve('fal', '', ['gemini-veo:veo-3.1-generate-preview', 'procedural'])).toEqual([
      { provider: 'fal', model: 'ltx-video' },
      { provider: 'gemini-veo', model: 'veo-3.1-generate-preview' },
      { provider: 'procedural', model: 'storyboard-v1' },
    ]);
    expect(registry.resolve('fal', 'kling-2.1')).toEqual([{ provider: 'fal', model: 'kling-2.1' }]);
    expect(() => registry.resolve('procedural', '', ['runway'])).toThrow('unknown generator "runway"');
  });

  it('answers an unknown name with a misconfigured error', () => {
    const registry = new GeneratorRegistry(loadConfig({}));
    expect(() => registry.get('runway')).toThrow(GenerationError);
    expect(() => registry.get('runway')).toThrow('no video generator named "runway"');
  });
});
