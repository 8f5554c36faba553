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
      ]);
      expect(registry.get('openai-videos').name).toBe('openai-videos');
    } finally {
      await app.close();
    }
  });

  it('answers an unknown name with a misconfigured error', () => {
    const registry = new GeneratorRegistry(loadConfig({}));
    expect(() => registry.get('runway')).toThrow(GenerationError);
    expect(() => registry.get('runway')).toThrow('no video generator named "runway"');
  });
});
