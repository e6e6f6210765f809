import type { StepStructure } from './types.js';

interface GraphProps {
  steps: StepStructure[];
  /** The step the workflow is at (running or waiting), if any. */
  current: string | null;
  /** running, waiting, completed, failed, cancelled. */
  status: string;
  /** The current step's phase from the state value (running, pending, waiting, …). */
  phase?: string | undefined;
  /** Iterations per step: a step with one has run. */
  iterations?: Record<string, number>;
  caption: string;
}

const W = 124;
const H = 46;
const GAP = 44;
const LEVEL = 26;
const KIND_NOTE: Record<StepStructure['kind'], string> = {
  produce: 'produce',
  validate: 'validate',
  approval: 'approval gate',
  sleep: 'timer',
  signal: 'waits for signal',
  route: 'branch',
};

interface Edge {
  from: number;
  to: number;
  label: string;
  back: boolean;
}

/**
 * The definition as a statechart: its steps in order from start to the final state, the
 * revision loops (a validating step back to its producer, an approval gate back to the step it
 * revises), and a route's branches. The state the workflow is in is highlighted.
 */
export function Graph({ steps, current, status, phase, iterations = {}, caption }: GraphProps) {
  const nodes = ['start', ...steps.map((step) => step.name), 'final'];
  const x = (index: number) => 20 + index * (W + GAP);
  const width = x(nodes.length - 1) + W + 20;
  const edges: Edge[] = [];
  steps.forEach((step, i) => {
    const index = i + 1;
    const indexOf = (name: string | undefined) => (name === undefined ? -1 : steps.findIndex((candidate) => candidate.name === name) + 1);
    if (step.kind === 'validate' && indexOf(step.validates) > 0) edges.push({ from: index, to: indexOf(step.validates), label: 'revise', back: true });
    if (step.kind === 'approval' && indexOf(step.revises) > 0) edges.push({ from: index, to: indexOf(step.revises), label: 'request revision', back: true });
    if (step.kind === 'route')
      for (const target of step.to ?? []) {
        const to = indexOf(target);
        if (to > 0 && to !== index + 1)
          edges.push({ from: index, to, label: to < index ? `loop${step.maxLoops === undefined ? '' : ` ≤${step.maxLoops}`}` : 'branch', back: to < index });
      }
  });
  const finished = status === 'completed' || status === 'failed' || status === 'cancelled';
  const description =
    `Steps: ${steps.map((step) => `${step.name} (${KIND_NOTE[step.kind]})`).join(', ')}. ` +
    edges.map((edge) => `${nodes[edge.from]} ${edge.label} to ${nodes[edge.to]}`).join('. ') +
    `. Now: ${finished ? status : current === null ? status : `${current}, ${phase ?? status}`}.`;
  // Loops arc above the steps, branches below, one level per edge: the drawing is as tall as they need.
  const backs = edges.filter((edge) => edge.back).length;
  const forwards = edges.length - backs;
  const Y = 30 + H / 2 + backs * LEVEL + (backs > 0 ? 30 : 0);
  const height = Y + H / 2 + 34 + forwards * LEVEL + (forwards > 0 ? 30 : 0);
  let backLevel = 0;
  let forwardLevel = 0;
  return (
    <figure class="graph">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        style={{ maxHeight: `${height}px` }}
        role="img"
        aria-label={`${caption}. ${description}`}
        preserveAspectRatio="xMinYMid meet"
      >
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" class="arrowhead" />
          </marker>
        </defs>
        {nodes.slice(0, -1).map((_, index) => (
          <line key={`e${index}`} x1={x(index) + (index === 0 ? 30 : W)} y1={Y} x2={x(index + 1) - 2} y2={Y} class="edge" marker-end="url(#arrow)" />
        ))}
        {edges.map((edge, index) => {
          const level = edge.back ? ++backLevel : ++forwardLevel;
          const sign = edge.back ? -1 : 1;
          const x1 = x(edge.from) + W / 2 + (edge.back ? -10 : 10);
          const x2 = x(edge.to) + W / 2 + (edge.back ? 10 : -10);
          const y0 = Y + (sign * H) / 2;
          const lift = y0 + sign * (14 + level * LEVEL * 1.33);
          // A cubic with both controls at `lift` peaks three quarters of the way there.
          const peak = y0 + 0.75 * (lift - y0);
          return (
            <g key={`l${index}`}>
              <path
                d={`M${x1},${y0} C${x1},${lift} ${x2},${lift} ${x2},${y0 + sign * 2}`}
                class={edge.back ? 'edge loop' : 'edge branch'}
                marker-end="url(#arrow)"
              />
              <text x={(x1 + x2) / 2} y={edge.back ? peak - 4 : peak + 14} class="edge-label" text-anchor="middle">
                {edge.label}
              </text>
            </g>
          );
        })}
        <circle cx={x(0) + 15} cy={Y} r="12" class="start" />
        <text x={x(0) + 15} y={Y + 32} text-anchor="middle" class="note">
          start
        </text>
        {steps.map((step, i) => {
          const left = x(i + 1);
          const active = !finished && current === step.name;
          const ran = (iterations[step.name] ?? 0) > 0;
          return (
            <g key={step.name} class={`node kind-${step.kind}${active ? ` current status-${status}` : ''}${ran ? ' ran' : ''}`} data-step={step.name}>
              {step.kind === 'approval' || step.kind === 'route' ? (
                <polygon
                  points={`${left + 14},${Y - H / 2} ${left + W - 14},${Y - H / 2} ${left + W},${Y} ${left + W - 14},${Y + H / 2} ${left + 14},${Y + H / 2} ${left},${Y}`}
                />
              ) : (
                <rect x={left} y={Y - H / 2} width={W} height={H} rx="10" />
              )}
              <text x={left + W / 2} y={Y - 3} text-anchor="middle" class="name">
                {step.name}
              </text>
              <text x={left + W / 2} y={Y + 13} text-anchor="middle" class="kind">
                {step.kind === 'signal' && step.signal !== undefined ? `signal ${step.signal}` : KIND_NOTE[step.kind]}
              </text>
              {active ? (
                <text x={left + W / 2} y={Y + H / 2 + 18} text-anchor="middle" class="phase">
                  ● {phase ?? (status === 'waiting' ? 'waiting' : 'running')}
                </text>
              ) : null}
            </g>
          );
        })}
        <g class={`final${finished ? ` current status-${status}` : ''}`}>
          <circle cx={x(nodes.length - 1) + 22} cy={Y} r="16" />
          <circle cx={x(nodes.length - 1) + 22} cy={Y} r="10" class="inner" />
          <text x={x(nodes.length - 1) + 22} y={Y + 36} text-anchor="middle" class="note">
            {finished ? status : 'done'}
          </text>
        </g>
      </svg>
      <figcaption>{caption}</figcaption>
    </figure>
  );
}
