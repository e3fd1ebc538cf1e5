import cytoscape, { type Core, type ElementDefinition } from 'cytoscape';
import elk from 'cytoscape-elk';
import { useEffect, useId, useRef } from 'react';
import { FAMILY_COLOURS } from '../lib/kinds';
import { flowEdge, nodeFamily, nodeLabel, nodeSubtitle } from '../lib/lineage';
import type { LineageGraph as Graph } from '../lib/types';

cytoscape.use(elk);

const PADDING = 24;

function elkOptions(direction: 'RIGHT' | 'DOWN') {
  return {
    name: 'elk',
    fit: false,
    animate: false,
    nodeDimensionsIncludeLabels: false,
    elk: {
      algorithm: 'layered',
      'elk.direction': direction,
      'elk.layered.spacing.nodeNodeBetweenLayers': direction === 'RIGHT' ? 48 : 40,
      'elk.spacing.nodeNode': direction === 'RIGHT' ? 20 : 28,
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    },
  } as cytoscape.LayoutOptions;
}

function runLayout(c: Core, direction: 'RIGHT' | 'DOWN'): Promise<void> {
  return new Promise((resolve) => {
    const l = c.layout(elkOptions(direction));
    l.one('layoutstop', () => resolve());
    l.run();
  });
}

/** The zoom at which the whole graph fits the box. */
function fitZoom(c: Core): number {
  const bb = c.elements().boundingBox();
  return Math.min((c.width() - 2 * PADDING) / Math.max(bb.w, 1), (c.height() - 2 * PADDING) / Math.max(bb.h, 1));
}

/**
 * Lays the graph out in layers, data flowing left to right, or top to
 * bottom when that shows it larger (long chains in a narrow box, a phone).
 */
async function layout(c: Core, alive: () => boolean) {
  await runLayout(c, 'RIGHT');
  if (!alive()) return;
  const across = fitZoom(c);
  if (across >= 1) return;
  await runLayout(c, 'DOWN');
  if (!alive()) return;
  if (fitZoom(c) < across) await runLayout(c, 'RIGHT');
}

export interface GraphProps {
  graph: Graph;
  startId: string;
  selectedId: string;
  onSelect: (id: string) => void;
  onOpen: (id: string) => void;
}

function elements(g: Graph, startId: string): ElementDefinition[] {
  const ids = new Set(g.nodes.map((n) => n.id));
  const nodes: ElementDefinition[] = g.nodes.map((n) => {
    const c = FAMILY_COLOURS[nodeFamily(n)];
    return {
      data: { id: n.id, label: `${nodeLabel(n)}\n${nodeSubtitle(n)}`, bg: c.bg, fg: c.fg, line: c.line, type: n.type },
      classes: [n.type, n.id === startId ? 'start' : ''].join(' '),
    };
  });
  const seen = new Set<string>();
  const edges: ElementDefinition[] = [];
  for (const e of g.edges) {
    const f = flowEdge(e);
    const id = `${f.source}→${f.target}`;
    if (seen.has(id) || !ids.has(f.source) || !ids.has(f.target)) continue;
    seen.add(id);
    edges.push({ data: { id, source: f.source, target: f.target, relation: f.relation }, classes: e.relation.toLowerCase() });
  }
  return [...nodes, ...edges];
}

const STYLE: cytoscape.StylesheetJson = [
  {
    selector: 'node',
    style: {
      shape: 'round-rectangle',
      width: 168,
      height: 46,
      'background-color': 'data(bg)',
      'border-color': 'data(line)',
      'border-width': 1.5,
      label: 'data(label)',
      color: 'data(fg)',
      'font-family': 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
      'font-size': 12,
      'text-wrap': 'wrap',
      'text-max-width': '156px',
      'text-valign': 'center',
      'text-halign': 'center',
      'line-height': 1.3,
    },
  },
  { selector: 'node.run', style: { shape: 'cut-rectangle', 'font-weight': 600 } },
  { selector: 'node.start', style: { 'border-width': 4, 'border-color': '#111827' } },
  { selector: 'node.run.start', style: { 'border-color': '#f59e0b' } },
  { selector: 'node:selected', style: { 'overlay-color': '#2563eb', 'overlay-opacity': 0.18, 'overlay-padding': 6 } },
  { selector: 'node.faded', style: { opacity: 0.35 } },
  {
    selector: 'edge',
    style: {
      width: 1.6,
      'line-color': '#9aa4b2',
      'target-arrow-color': '#9aa4b2',
      'target-arrow-shape': 'triangle',
      'curve-style': 'bezier',
      'arrow-scale': 1,
    },
  },
  { selector: 'edge.derived_from', style: { 'line-style': 'dashed' } },
  { selector: 'edge.hl', style: { 'line-color': '#2563eb', 'target-arrow-color': '#2563eb', width: 2.6 } },
];

/**
 * The lineage graph, laid out left to right in layers (ELK), data flowing
 * along the arrows. Click selects, double-click opens; with the keyboard,
 * arrows move between nodes, Enter opens, +/- zoom, 0 fits.
 */
export default function LineageGraph({ graph, startId, selectedId, onSelect, onOpen }: GraphProps) {
  const box = useRef<HTMLDivElement>(null);
  const cy = useRef<Core | null>(null);
  const handlers = useRef({ onSelect, onOpen });
  handlers.current = { onSelect, onOpen };
  const help = useId();

  useEffect(() => {
    const c = cytoscape({
      container: box.current,
      elements: elements(graph, startId),
      style: STYLE,
      minZoom: 0.2,
      maxZoom: 2.5,
      boxSelectionEnabled: false,
      autoungrabify: true,
    });
    c.on('tap', 'node', (e) => handlers.current.onSelect(e.target.id()));
    c.on('dbltap', 'node', (e) => handlers.current.onOpen(e.target.id()));
    cy.current = c;
    (box.current as HTMLDivElement & { _cy?: Core })._cy = c; // for tests
    let alive = true;
    void layout(c, () => alive).then(() => {
      if (!alive) return;
      c.fit(undefined, PADDING);
      if (c.zoom() > 1.25) {
        c.zoom(1.25);
        c.center();
      }
      box.current?.setAttribute('data-ready', 'true');
    });
    return () => {
      alive = false;
      c.destroy();
      cy.current = null;
    };
  }, [graph, startId]);

  useEffect(() => {
    const c = cy.current;
    if (!c) return;
    c.batch(() => {
      c.elements().unselect().removeClass('hl');
      if (selectedId) {
        const n = c.getElementById(selectedId);
        if (n.nonempty()) {
          n.select();
          n.connectedEdges().addClass('hl');
        }
      }
    });
  }, [selectedId, graph]);

  const onKey = (e: React.KeyboardEvent) => {
    const c = cy.current;
    if (!c) return;
    const nodes = c.nodes();
    const cur = c.getElementById(selectedId || startId);
    const dirs: Record<string, [number, number]> = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowDown: [0, 1], ArrowUp: [0, -1] };
    if (dirs[e.key]) {
      e.preventDefault();
      if (cur.empty()) return handlers.current.onSelect(nodes[0]?.id() ?? '');
      const [dx, dy] = dirs[e.key];
      const p = cur.position();
      let best: { id: string; score: number } | null = null;
      nodes.forEach((n) => {
        if (n.id() === cur.id()) return;
        const q = n.position();
        const along = (q.x - p.x) * dx + (q.y - p.y) * dy;
        if (along <= 1) return;
        const across = Math.abs((q.x - p.x) * dy) + Math.abs((q.y - p.y) * dx);
        const score = along + across * 2;
        if (!best || score < best.score) best = { id: n.id(), score };
      });
      if (best) {
        handlers.current.onSelect((best as { id: string }).id);
        const n = c.getElementById((best as { id: string }).id);
        if (!n.renderedBoundingBox() || !inView(c, n)) c.animate({ center: { eles: n } }, { duration: 150 });
      }
    } else if (e.key === 'Enter' && !cur.empty()) {
      e.preventDefault();
      handlers.current.onOpen(cur.id());
    } else if (e.key === '+' || e.key === '=') {
      zoomBy(c, 1.2);
    } else if (e.key === '-') {
      zoomBy(c, 1 / 1.2);
    } else if (e.key === '0') {
      c.fit(undefined, 24);
    }
  };

  return (
    <div className="graph-wrap">
      <div
        ref={box}
        className="graph"
        tabIndex={0}
        role="application"
        aria-roledescription="lineage graph"
        aria-label={`Lineage graph, ${graph.nodes.length} nodes`}
        aria-describedby={help}
        onKeyDown={onKey}
        data-testid="lineage-graph"
      />
      <div className="graph-tools">
        <button type="button" className="btn small" onClick={() => cy.current?.fit(undefined, 24)}>
          Fit
        </button>
        <button type="button" className="btn small" aria-label="Zoom in" onClick={() => cy.current && zoomBy(cy.current, 1.2)}>
          +
        </button>
        <button type="button" className="btn small" aria-label="Zoom out" onClick={() => cy.current && zoomBy(cy.current, 1 / 1.2)}>
          −
        </button>
      </div>
      <p id={help} className="hint graph-help">
        Click a node for details, double-click to open it. Keyboard: arrows move, Enter opens, + / − zoom, 0 fits.
      </p>
    </div>
  );
}

function inView(c: Core, n: cytoscape.NodeSingular): boolean {
  const b = n.renderedBoundingBox();
  return b.x1 >= 0 && b.y1 >= 0 && b.x2 <= c.width() && b.y2 <= c.height();
}

function zoomBy(c: Core, factor: number) {
  c.zoom({ level: c.zoom() * factor, renderedPosition: { x: c.width() / 2, y: c.height() / 2 } });
}
