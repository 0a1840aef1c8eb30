// add_section_time: where each playlist movie was shown, as [start, end] samples, and its light
// template (docs/algorithms.md §1.3, §1.4, docs/archive-format.md §7.2).

import { resolve } from 'node:path'
import { ConfigurationError, throwIfAborted } from '../../src-shared/errors'
import { type GroupNode, f32, getGroup, group, i64, i64Scalar, str } from '../../src-shared/tree'
import { resourcePath } from '../resources'
import {
  type MovieFrameSections,
  UnknownMovieLengthError,
  frameRowsToSamples,
  movieFrameSections,
  playlistLightTemplate,
} from '../../src-worker/algo/sectionTime'
import { movieLengths, playlistMovies, readConfigText } from '../stimulus/playlistCsv'
import {
  PRE_MARGIN_METADATA_KEY,
  analogMarkerKey,
  isAnalogMovie,
  sessionFrameTimestamps,
  sessionLightChannel,
} from '../stimulus/sessionStimulus'
import type { StepDefinition } from './framework'

export interface AddSectionTimeParams extends Record<string, unknown> {
  playlist_name: string
  repeats: number
  pad_frame: number
  pre_margin_frame_num: number
  post_margin_frame_num: number
  playlist_file: string | null
  movie_length_file: string | null
  skip_missing_movies: boolean
}

/** The bundled CSVs used when no file is given (the demo set's playlist and movie lengths). */
export function defaultPlaylistFiles(): { playlist: string; movieLength: string } {
  return { playlist: resourcePath('demo', 'playlist.csv'), movieLength: resourcePath('demo', 'movie_length.csv') }
}

/** Removes the entries of a group that are not analog movies (they belong to the playlist run being replaced). */
function keepAnalogEntries(g: GroupNode | undefined, isAnalog: (movie: string) => boolean): GroupNode {
  const out = group()
  if (!g) return out
  for (const [k, v] of g.children) if (isAnalog(k)) out.children.set(k, v)
  for (const [k, v] of g.attrs) out.attrs.set(k, v)
  return out
}

export const addSectionTimeStep: StepDefinition<AddSectionTimeParams> = {
  id: 'add_section_time',
  title: 'Section time (playlist)',
  description:
    'Places every movie of the playlist on the frame timestamps and stores its [start, end] samples and ' +
    'light template; analog entries (add_section_time_analog) are kept.',
  params: [
    {
      name: 'playlist_name',
      label: 'Playlist',
      type: 'string',
      default: 'play_optimization_set6_ipRGC_manual',
      help: 'Name of the playlist in the playlist_name column of the playlist file.',
    },
    { name: 'repeats', label: 'Repeats', type: 'integer', default: 1, min: 1, help: 'How many times the whole playlist was shown, in order.' },
    { name: 'pad_frame', label: 'Pad (frames)', type: 'integer', default: 180, min: 0, help: 'Blank frames shown before and after every movie.' },
    {
      name: 'pre_margin_frame_num',
      label: 'Pre margin (frames)',
      type: 'integer',
      default: 60,
      min: 0,
      help: 'Frames kept before each movie starts; section_spike_times counts trial frames from after them.',
    },
    {
      name: 'post_margin_frame_num',
      label: 'Post margin (frames)',
      type: 'integer',
      default: 120,
      min: 0,
      help: 'Frames kept after each movie ends (plus the one extra frame every movie has).',
    },
    {
      name: 'playlist_file',
      label: 'Playlist file',
      type: 'path',
      default: null,
      optional: true,
      help: 'playlist.csv (columns playlist_name, movie_names). Empty: the bundled resources/demo/playlist.csv.',
    },
    {
      name: 'movie_length_file',
      label: 'Movie length file',
      type: 'path',
      default: null,
      optional: true,
      help: 'movie_length.csv (columns movie_name, movie_length in frames). Empty: the bundled resources/demo/movie_length.csv.',
    },
    {
      name: 'skip_missing_movies',
      label: 'Skip movies without length',
      type: 'boolean',
      default: false,
      help: 'Leave out movies missing from the length file when they come last; a missing movie before others is always an error.',
    },
  ],
  prerequisites: [['load_recording', 'load_recording_with_eimage_sta']],
  validate(p) {
    if (p.pre_margin_frame_num > p.pad_frame) {
      throw new ConfigurationError(
        `add_section_time: pre_margin_frame_num (${p.pre_margin_frame_num}) must not exceed pad_frame (${p.pad_frame}), or sections would start inside the previous movie`,
        { parameter: 'pre_margin_frame_num' },
      )
    }
  },
  async run(session, params, ctx) {
    const ts = sessionFrameTimestamps(session)
    if (!ts) {
      throw new ConfigurationError(
        'add_section_time: the session has no frame timestamps (metadata/frame_timestamps or stimulus/frame_times/default); the light reference of the recording showed no frames',
      )
    }
    const defaults = defaultPlaylistFiles()
    const playlistFile = resolve(params.playlist_file ?? defaults.playlist)
    const lengthFile = resolve(params.movie_length_file ?? defaults.movieLength)
    const movies = playlistMovies(await readConfigText(playlistFile, 'Playlist file'), playlistFile, params.playlist_name)
    const lengths = movieLengths(await readConfigText(lengthFile, 'Movie length file'), lengthFile)
    throwIfAborted(ctx.signal)

    let placed: MovieFrameSections
    try {
      placed = movieFrameSections(
        movies,
        lengths,
        {
          padFrame: params.pad_frame,
          preMarginFrames: params.pre_margin_frame_num,
          postMarginFrames: params.post_margin_frame_num,
          repeats: params.repeats,
        },
        { skipMissing: params.skip_missing_movies },
      )
    } catch (err) {
      if (!(err instanceof UnknownMovieLengthError)) throw err
      const hint = err.misplaced.length > 0 ? ' Add its length to the file; it cannot be skipped because later movies would shift.' : ' Add its length, or set skip_missing_movies to leave it out.'
      throw new ConfigurationError(
        `add_section_time: movie '${err.movie}' of playlist '${params.playlist_name}' is not in ${lengthFile}.${hint}`,
        { path: lengthFile },
      )
    }
    for (const m of placed.skipped) {
      ctx.warn(`movie '${m}' is not in ${lengthFile}; it was left out (it is the last movie, so no other movie moved)`)
    }

    const raw = sessionLightChannel(session)
    if (!raw) ctx.warn('no light reference (stimulus/light_reference/raw_ch1); light templates were not computed')

    const sectionTime = new Map<string, Float64Array>()
    const templates = new Map<string, Float32Array>()
    const clipped: string[] = []
    const entries = [...placed.sections]
    for (const [i, [movie, rows]] of entries.entries()) {
      throwIfAborted(ctx.signal)
      ctx.progress({ fraction: i / entries.length, message: `Section time of ${movie}` })
      if (rows.some(([a, b]) => a < 0 || b > ts.length - 1)) clipped.push(movie)
      const samples = frameRowsToSamples(rows, ts)
      sectionTime.set(movie, samples)
      if (raw) templates.set(movie, playlistLightTemplate(raw, samples))
      // Let a cancel or a progress event through between movies.
      await new Promise<void>((r) => setImmediate(r))
    }
    if (clipped.length > 0) {
      ctx.warn(
        `the sections of ${clipped.join(', ')} reach beyond the ${ts.length} recorded frames; their bounds were clipped to the first/last frame (wrong playlist or a truncated recording?)`,
      )
    }
    const replacedAnalog = [...sectionTime.keys()].filter((m) => isAnalogMovie(session, m))
    for (const m of replacedAnalog) ctx.warn(`the analog section time of '${m}' was replaced by the playlist's`)
    const analogKept = [...(getGroup(session.stimulus, 'section_time')?.children.keys() ?? [])].filter(
      (m) => isAnalogMovie(session, m) && !sectionTime.has(m),
    )

    return {
      summary: `${sectionTime.size} movies of playlist '${params.playlist_name}' placed (${[...sectionTime.keys()].join(', ')})${
        analogKept.length ? `; analog ${analogKept.join(', ')} kept` : ''
      }`,
      apply(s) {
        const isAnalog = (m: string) => isAnalogMovie(s, m) && !sectionTime.has(m)
        const st = keepAnalogEntries(getGroup(s.stimulus, 'section_time'), isAnalog)
        const lt = keepAnalogEntries(getGroup(s.stimulus, 'light_template'), isAnalog)
        for (const [m, rows] of sectionTime) st.children.set(m, i64(rows, [rows.length / 2, 2]))
        for (const [m, t] of templates) lt.children.set(m, f32(t))
        s.stimulus.children.set('section_time', st)
        if (lt.children.size > 0 || lt.attrs.size > 0) s.stimulus.children.set('light_template', lt)
        else s.stimulus.children.delete('light_template')
        for (const m of replacedAnalog) {
          s.metadata.children.delete(analogMarkerKey(m))
          s.extraRootAttrs.delete(analogMarkerKey(m))
        }
        s.addMetadata({
          section_time_playlist: str(params.playlist_name),
          section_time_repeats: i64Scalar(params.repeats),
          [PRE_MARGIN_METADATA_KEY]: i64Scalar(params.pre_margin_frame_num),
        })
      },
    }
  },
}
