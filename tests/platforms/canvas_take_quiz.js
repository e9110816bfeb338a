// What Canvas's quiz page does to a typed number before it is saved (ui/features/take_quiz/jquery/index.js,
// the change handler of .numerical_question_input): parseFloat, then toFixed(4), run by node's JavaScript so
// that the rounding is the browser's own. Reads a JSON list of typed strings; writes the saved strings.
const typed = JSON.parse(require('fs').readFileSync(0, 'utf8'))
process.stdout.write(JSON.stringify(typed.map((s) => {
  const val = parseFloat(s)
  return isNaN(val) ? '' : val.toFixed(4)
})))
