// The ECharts pieces the workbench draws with (tree-shaken), and the OS theme as a reactive flag.
import { BarChart, HeatmapChart, LineChart, ScatterChart } from 'echarts/charts'
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components'
import { use } from 'echarts/core'
import { CanvasRenderer } from 'echarts/renderers'
import { onBeforeUnmount, ref } from 'vue'

use([
  CanvasRenderer,
  LineChart,
  ScatterChart,
  BarChart,
  HeatmapChart,
  GridComponent,
  TooltipComponent,
  VisualMapComponent,
  DataZoomComponent,
  MarkLineComponent,
  MarkAreaComponent,
  TitleComponent,
  LegendComponent,
])

/** True while the OS prefers a dark theme; follows changes live. */
export function usePrefersDark() {
  const mq = window.matchMedia('(prefers-color-scheme: dark)')
  const dark = ref(mq.matches)
  const onChange = (e: MediaQueryListEvent) => (dark.value = e.matches)
  mq.addEventListener('change', onChange)
  onBeforeUnmount(() => mq.removeEventListener('change', onChange))
  return dark
}

export const DIVERGING = ['#2166ac', '#67a9cf', '#d1e5f0', '#f7f7f7', '#fddbc7', '#ef8a62', '#b2182b']
export const SEQUENTIAL = ['#000004', '#3b0f70', '#8c2981', '#de4968', '#fe9f6d', '#fcfdbf']
