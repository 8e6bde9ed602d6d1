/**
 * QuantizedModel: a float model (after the optimizing passes), a chip profile and the plan that
 * quantizes it. `run` executes the bit-exact emulation of the chip in the native engine, `runFloat`
 * the float model; `quantParams`, `toQdq` and `save` write what other tools read.
 */
import { Model, type Graph } from '../ir/graph';
import { Tensor } from '../ir/tensor';
import { Session, type SessionOptions } from '../runtime/session';
import { runStepsSliced } from '../ir/steps';
import { buildEmulationGraph, buildEmulationGraphSteps, type EmulationGraph } from './emulate';
import type { ChipProfile } from './profile';
import type { PlanOptions } from './plan/planner';
import type { QuantPlan } from './plan/types';
import { quantParamsJson, type QuantParamsJson } from './params-json';

type Feeds = Record<string, Tensor | { data: Tensor['data']; shape: readonly number[] }>;

export interface QuantizedRunOptions {
  /** Values to return by float tensor name (graph outputs by default). */
  outputs?: string[];
  /** Return the integers of quantized tensors (their home quantization) instead of dequantized floats. Default false. */
  integer?: boolean;
}

export class QuantizedModel {
  private emu?: EmulationGraph;
  private qSession?: Promise<Session>;
  private fSession?: Promise<Session>;
  /** How the ranges were calibrated (undefined for a plan replayed from parameters). */
  readonly calibration?: { method: string };
  /** The options the plan was made with (re-planning with other precisions starts from them). */
  readonly planOptions: PlanOptions;
  /**
   * The graph passes quantize() ran on the float model before planning (`model` is their result;
   * BatchNormalization folding is always done and not listed). Undefined when unknown (a folder
   * written before this was recorded).
   */
  readonly optimize?: readonly string[];

  /**
   * @param model The float model the plan was made for (after quantize()'s optimizing passes).
   * @param profile The chip profile.
   * @param plan The quantization plan.
   * @param sessionOptions Options of the engine sessions (threads, maxIsa).
   * @param provenance How the plan was made: calibration method, plan options, optimizing passes.
   */
  constructor(
    readonly model: Model, readonly profile: ChipProfile, readonly plan: QuantPlan, private readonly sessionOptions: SessionOptions = {},
    provenance: { calibration?: { method: string }; planOptions?: PlanOptions; optimize?: readonly string[] } = {},
  ) {
    this.calibration = provenance.calibration;
    this.planOptions = provenance.planOptions ?? {};
    this.optimize = provenance.optimize;
  }

  /** Whether the weights are quantized per channel (some weight has more than one scale). */
  get perChannel(): boolean {
    for (const n of this.plan.nodes.values()) if (n.weight && n.weight.quant.scale.length > 1) return true;
    return false;
  }

  get graph(): Graph {
    return this.model.graph;
  }

  /** The engine graph that emulates the chip (built on first use). */
  get emulation(): EmulationGraph {
    this.emu ??= buildEmulationGraph(this.model.graph, this.plan, this.profile);
    return this.emu;
  }

  /**
   * The emulation graph, built in time slices on first use (lib/ir/steps.ts) so the event loop keeps
   * turning; the same graph as `emulation`.
   */
  async emulationSliced(): Promise<EmulationGraph> {
    this.emu ??= await runStepsSliced(buildEmulationGraphSteps(this.model.graph, this.plan, this.profile));
    return this.emu;
  }

  /** The emulation graph as a model (for inspection; it uses npuquant-domain ops). */
  emulationModel(): Model {
    const m = new Model(this.emulation.graph);
    m.irVersion = this.model.irVersion;
    return m;
  }

  /**
   * Runs the quantized model as the chip computes it. Outputs are dequantized to float32 unless
   * `integer` is set; names are the float model's tensor names.
   */
  async run(feeds: Feeds, options: QuantizedRunOptions = {}): Promise<Record<string, Tensor>> {
    if (!this.qSession) await this.emulationSliced();  // built in time slices, not in one stretch
    this.qSession ??= Session.create(this.emulationModel(), { ...this.sessionOptions, fuse: false });
    const s = await this.qSession;
    const names = options.outputs ?? this.graph.outputs.map((o) => o.name);
    const { intNames, floatNames } = this.emulation;
    const want = names.map((n) => (options.integer || !floatNames.has(n) ? intNames.get(n) ?? n : n));
    const res = await s.run(feeds, { outputs: want });
    const out: Record<string, Tensor> = {};
    names.forEach((n, i) => {
      const t = res[want[i]];
      const q = this.plan.tensors.get(n);
      // A quantized tensor with no float view in the emulation: dequantize it here, in float32 as
      // DequantizeLinear does.
      if (!options.integer && want[i] !== n && q) {
        const s0 = q.scale[0], z0 = q.zeroPoint[0];
        out[n] = new Tensor('float32', t.shape, Float32Array.from(t.data as ArrayLike<number>, (v) => Math.fround((v - z0) * s0)));
      } else {
        out[n] = t;
      }
    });
    return out;
  }

  /** Runs the float model. */
  async runFloat(feeds: Feeds, options: { outputs?: string[] } = {}): Promise<Record<string, Tensor>> {
    this.fSession ??= Session.create(this.model, { ...this.sessionOptions, fuse: false });
    return (await this.fSession).run(feeds, options);
  }

  /** quant_params.json content: every quantized tensor and every node's precision. */
  quantParams(): QuantParamsJson {
    return quantParamsJson(this);
  }

  /** Releases the engine sessions. */
  async dispose(): Promise<void> {
    for (const p of [this.qSession, this.fSession]) if (p) (await p.catch(() => undefined))?.dispose();
    this.qSession = this.fSession = undefined;
  }
}
