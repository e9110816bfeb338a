<?php
// Parses cloze question texts with Moodle's own parser: the regexes and qtype_multianswer_extract_question of
// question/type/multianswer/questiontype.php, taken from the file given (a Moodle checkout or an excerpt of
// that file), from "// ANSWER_ALTERNATIVE regexes." to the end of qtype_multianswer_extract_question.
//
//   php moodle_cloze.php path/to/question/type/multianswer/questiontype.php < texts.json > parsed.json
//
// texts.json: a list of question texts (as the XML importer reads them); parsed.json: per text the question's
// defaultmark and, per blank, its qtype, defaultmark, answers, fractions, tolerances and feedback texts.
define('MOODLE_INTERNAL', true);
define('FORMAT_HTML', 1);
class qtype_multichoice_base { const LAYOUT_DROPDOWN = 0; const LAYOUT_VERTICAL = 1; const LAYOUT_HORIZONTAL = 2; }

$source = file_get_contents($argv[1]);
$start = strpos($source, '// ANSWER_ALTERNATIVE regexes.');
$function = strpos($source, 'function qtype_multianswer_extract_question(');
$end = strpos($source, "\n    return \$question;\n}\n", $function);
if ($start === false || $function === false || $end === false) {
    fwrite(STDERR, "the cloze parser was not found in $argv[1]\n");
    exit(2);
}
eval(substr($source, $start, $end + strlen("\n    return \$question;\n}\n") - $start));

$out = array();
foreach (json_decode(file_get_contents('php://stdin'), true) as $text) {
    $question = qtype_multianswer_extract_question(array('text' => $text, 'format' => FORMAT_HTML, 'itemid' => ''));
    $blanks = array();
    foreach ($question->options->questions as $key => $wrapped) {
        $feedback = array();
        foreach ($wrapped->feedback as $f) {
            $feedback[] = $f['text'];
        }
        $blanks[] = array('position' => $key, 'qtype' => $wrapped->qtype, 'defaultmark' => (float) $wrapped->defaultmark,
            'answers' => array_values($wrapped->answer), 'fractions' => array_map('floatval', array_values($wrapped->fraction)),
            'tolerances' => array_map('floatval', array_values(isset($wrapped->tolerance) ? $wrapped->tolerance : array())),
            'feedback' => $feedback);
    }
    $out[] = array('defaultmark' => (float) $question->defaultmark, 'blanks' => $blanks,
                   'questiontext' => $question->questiontext['text']);
}
echo json_encode($out);
