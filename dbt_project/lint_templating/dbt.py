"""dbt's cross-database macros as sqlfluff's jinja templater renders them.

sqlfluff lints the models without running dbt (the dbt templater needs a live dbt and adds a
minute to every lint); its jinja templater gives `ref`, `source`, `var` and `config`, and this
module gives the `dbt.*` macros the models call, rendered as they render on DuckDB. It exists for
the linter only: nothing in the pipeline imports it. A macro missing here fails the lint with
"'dbt' has no attribute", which is the cue to add it.
"""


def date_trunc(datepart, date):
    return f"date_trunc('{datepart}', {date})"


def dateadd(datepart, interval, from_date_or_timestamp):
    return f"{from_date_or_timestamp} + (interval ({interval}) {datepart})"


def datediff(first_date, second_date, datepart):
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def last_day(date, datepart):
    return f"last_day({date})"


def listagg(measure, delimiter_text="','", order_by_clause=None, limit_num=None):
    order = f" {order_by_clause}" if order_by_clause else ""
    return f"string_agg({measure}, {delimiter_text}{order})"


def bool_or(expression):
    return f"bool_or({expression})"


def split_part(string_text, delimiter_text, part_number):
    return f"split_part({string_text}, {delimiter_text}, {part_number})"


def type_int():
    return "integer"


def type_bigint():
    return "bigint"


def type_string():
    return "varchar"


def type_float():
    return "float"


def concat(fields):
    return " || ".join(fields)
