// Every built-in extractor. Adding one: write extractors/<name>.ts exporting a FeatureExtractor and list it here.

import type { FeatureExtractor } from '../types'
import { frifExtractor } from './frif'

export const BUILTIN_EXTRACTORS: FeatureExtractor[] = [frifExtractor]
