import { Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createZodDto } from 'nestjs-zod';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { CurrentPrincipal, Principal, Roles } from '@adloom/auth';
import { parseOrThrow } from '@adloom/http';
import { MAX_VERIFY_UPLOAD_BYTES, ProvenanceService } from './provenance.service';
import { StreamedBody, VIDEO_UPLOAD_TYPES } from './raw-uploads';
import { RendersError } from './renders.errors';
import { tooLarge } from './upload-spool';

const verifyHashSchema = z
  .object({ sha256: z.string().regex(/^\s*[0-9a-fA-F]{64}\s*$/, 'expected 64 hexadecimal characters') })
  .strict();
class VerifyHashDto extends createZodDto(verifyHashSchema) {}
class RenderIdDto extends createZodDto(z.object({ id: z.uuid() })) {}

@ApiTags('provenance')
@ApiBearerAuth()
@Controller('v1')
export class ProvenanceController {
  constructor(private readonly provenance: ProvenanceService) {}

  /** The render's signed manifest, its recorded sha256, and a check of the bytes in storage against both. */
  @Get('renders/:id/provenance')
  @Roles('marketer', 'analyst', 'platform')
  get(@CurrentPrincipal() principal: Principal, @Param() params: RenderIdDto) {
    return this.provenance.provenance(principal.workspaceId, params.id);
  }

  /**
   * Is this a render Adloom signed? Send `{ "sha256": "…" }` as JSON, or the file itself as the body
   * (`video/mp4` or `application/octet-stream`, at most 200 MB). Verdict `valid` (the bytes are a signed
   * render), `tampered` (they claim to be one, by hash record or by the file's metadata, and do not match
   * its signature) or `unknown`. Any workspace's render is checked; only its own workspace sees the manifest.
   */
  @Post('provenance/verify')
  @HttpCode(200)
  @Roles('marketer', 'analyst', 'platform')
  @ApiConsumes('application/json', ...VIDEO_UPLOAD_TYPES)
  @ApiBody({ type: VerifyHashDto })
  async verify(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const body: unknown = request.body;
    const contentType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (body instanceof StreamedBody || Buffer.isBuffer(body)) {
      const length = Number(request.headers['content-length']);
      try {
        if (length > MAX_VERIFY_UPLOAD_BYTES) throw tooLarge(MAX_VERIFY_UPLOAD_BYTES);
        const stream = body instanceof StreamedBody ? body.stream : Readable.from([body]);
        return await this.provenance.verifyUpload(principal.workspaceId, stream);
      } catch (error) {
        // The unread rest of a refused upload is not worth receiving.
        if (error instanceof RendersError && error.code === 'upload_too_large')
          void reply.header('connection', 'close');
        throw error;
      }
    }
    if (contentType === 'application/json') {
      const { sha256 } = parseOrThrow(verifyHashSchema, body ?? {});
      return this.provenance.verifyHash(principal.workspaceId, sha256);
    }
    throw new RendersError(
      'unsupported_media_type',
      `Send JSON { "sha256": "…" }, or the file as ${VIDEO_UPLOAD_TYPES.join(' or ')}.`,
    );
  }
}
