// Loads one chart's data from main whenever its inputs change; older answers arriving late are dropped.
import { ref, watch, type Ref, type WatchSource } from 'vue'
import { errorOf } from '../stores/workbench'

export function useChartData<T>(source: WatchSource<unknown>, load: () => Promise<T | null>): { data: Ref<T | null>; loading: Ref<boolean>; error: Ref<string | null>; reload: () => void } {
  const data = ref<T | null>(null) as Ref<T | null>
  const loading = ref(false)
  const error = ref<string | null>(null)
  let ticket = 0
  const reload = async () => {
    const mine = ++ticket
    loading.value = true
    try {
      const d = await load()
      if (mine !== ticket) return
      data.value = d
      error.value = null
    } catch (err) {
      if (mine !== ticket) return
      data.value = null
      error.value = errorOf(err).message
    } finally {
      if (mine === ticket) loading.value = false
    }
  }
  watch(source, () => void reload(), { immediate: true })
  return { data, loading, error, reload: () => void reload() }
}
