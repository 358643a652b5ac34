/**
 * OpenTelemetry tracing: one process-wide tracer provider, spans around the hot paths, and
 * exporters that can be added at run time (tests add an in-memory one).
 * Span attributes carry ids and outcomes only, never message bodies, passwords or tokens.
 * @module
 */
import type { Attributes, Span } from '@opentelemetry/api';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { AppError } from '../errors.js';

/** Forwards spans to whichever processors are added later; lets exporters be attached after start-up. */
class ProcessorList implements SpanProcessor {
  readonly list: SpanProcessor[] = [];
  onStart(span: Span & ReadableSpan, parent: Context): void {
    for (const p of this.list) p.onStart(span, parent);
  }
  onEnd(span: ReadableSpan): void {
    for (const p of this.list) p.onEnd(span);
  }
  async forceFlush(): Promise<void> {
    await Promise.all(this.list.map((p) => p.forceFlush()));
  }
  async shutdown(): Promise<void> {
    await Promise.all(this.list.map((p) => p.shutdown()));
  }
}

let processors: ProcessorList | undefined;
let provider: NodeTracerProvider | undefined;

/**
 * Registers the global tracer provider (once per process) so every request gets a real trace id.
 * Safe to call many times.
 */
export function initTracing(): void {
  if (provider) return;
  processors = new ProcessorList();
  provider = new NodeTracerProvider({ spanProcessors: [processors] });
  provider.register();
}

/** Sends every span ended from now on to `exporter` as well. */
export function addSpanExporter(exporter: SpanExporter): void {
  initTracing();
  processors?.list.push(new SimpleSpanProcessor(exporter));
}

/** Flushes pending spans (on shutdown). */
export async function flushTracing(): Promise<void> {
  await provider?.forceFlush();
}

/** The tracer for Famichat's own spans. */
export const tracer = trace.getTracer('famichat');

/**
 * Runs `fn` inside a child span named `name`, recording `famichat.outcome` ("ok" or the error code).
 * Errors are rethrown unchanged; their messages are not recorded (they may quote user input).
 */
export async function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      const result = await fn(span);
      span.setAttribute('famichat.outcome', 'ok');
      return result;
    } catch (error) {
      const code = error instanceof AppError ? error.code : 'internal';
      span.setAttribute('famichat.outcome', code);
      if (code === 'internal') span.setStatus({ code: SpanStatusCode.ERROR, message: code });
      throw error;
    } finally {
      span.end();
    }
  });
}
