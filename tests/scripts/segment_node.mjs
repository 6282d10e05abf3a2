// Sends a scenario of Segment calls to a server with Segment's official Node
// SDK (npm @segment/analytics-node), used the way an application would: an
// Analytics with its host set, one SDK method per call, then closeAndFlush().
// For the tests of Touchpoint's Segment-compatible HTTP API (POST /v1/batch).
//
// Usage: node tests/scripts/segment_node.mjs HOST WRITE_KEY SCENARIO.json
//   HOST      e.g. http://127.0.0.1:8080 (the SDK posts to HOST/v1/batch)
//   SCENARIO  a JSON list of calls, as for segment_python.py:
//             {"call": "track", "userId": "u1", "event": "Signed Up",
//              "properties": {...}, "context": {...},
//              "timestamp": "2024-03-15T09:58:00Z", "messageId": "m1"}
//             call is one of page, screen, track, identify, group, alias; the
//             other keys are the SDK method's parameters (userId, anonymousId,
//             event, name, category, properties, traits, groupId, previousId,
//             context, integrations, timestamp (given to the SDK as a Date),
//             messageId).
//
// The SDK is loaded from target/node/node_modules (npm install --prefix
// target/node ...), found from this file's place in the repository; set
// SEGMENT_NODE_DIR to use another install prefix (the directory holding
// node_modules), e.g. when the target directory is elsewhere.
// Optional environment:
//   SEGMENT_BATCH_SIZE  the SDK's flushAt, events per request (default 15)
//
// Prints one line per call sent and `sent N` once the server has taken them
// all; exits 1 (after printing the errors) if any request failed: the SDK
// retries only twice here, so a failing server fails the run in a few seconds.

import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const prefix = resolve(process.env.SEGMENT_NODE_DIR ?? join(here, '..', '..', 'target', 'node'))
const require = createRequire(join(prefix, 'package.json'))
let Analytics
try {
  ;({ Analytics } = require('@segment/analytics-node'))
} catch (err) {
  console.error(`@segment/analytics-node not found under ${prefix}/node_modules: ` +
    'npm install --prefix target/node --save-exact @segment/analytics-node@VERSION ' +
    `(see .ci/run), or set SEGMENT_NODE_DIR\n${err.message}`)
  process.exit(1)
}

const CALLS = ['page', 'screen', 'track', 'identify', 'group', 'alias']
const KEYS = new Set([
  'userId', 'anonymousId', 'event', 'name', 'category', 'properties', 'traits',
  'groupId', 'previousId', 'context', 'integrations', 'timestamp', 'messageId',
])

async function main(argv) {
  if (argv.length !== 3) {
    console.error('usage: node segment_node.mjs HOST WRITE_KEY SCENARIO.json')
    return 2
  }
  const [host, writeKey, scenarioPath] = argv
  const calls = JSON.parse(readFileSync(scenarioPath, 'utf8'))
  if (!Array.isArray(calls)) throw new Error('the scenario must be a JSON list of calls')

  const analytics = new Analytics({
    writeKey,
    host,
    flushAt: Number(process.env.SEGMENT_BATCH_SIZE ?? 15),
    flushInterval: 50,
    maxRetries: 2,
    httpRequestTimeout: 10000,
  })
  const errors = []
  analytics.on('error', (err) => {
    errors.push(err)
    const reason = err.reason instanceof Error ? err.reason.message : String(err.reason)
    const type = err.ctx?.event?.type ?? ''
    console.error(`error: ${err.code} ${type} ${reason}`)
  })

  let sent = 0
  calls.forEach((call, i) => {
    const kind = call.call
    if (!CALLS.includes(kind)) throw new Error(`call ${i}: unknown call ${JSON.stringify(kind)}`)
    const params = {}
    for (const [key, value] of Object.entries(call)) {
      if (key === 'call') continue
      if (!KEYS.has(key)) throw new Error(`call ${i} (${kind}): unknown key ${JSON.stringify(key)}`)
      params[key] = key === 'timestamp' && value != null ? new Date(value) : value
    }
    analytics[kind](params)
    sent += 1
    const who = params.userId ?? params.anonymousId
    const what = params.event ?? params.name ?? params.groupId ?? params.previousId ?? ''
    console.log(`${kind} ${who} ${what}`.trimEnd())
  })

  await analytics.closeAndFlush({ timeout: 30000 })

  if (errors.length) {
    console.error(`FAILED: ${errors.length} event(s) not delivered`)
    return 1
  }
  console.log(`sent ${sent}`)
  return 0
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code },
  (err) => { console.error(err); process.exitCode = 1 },
)
