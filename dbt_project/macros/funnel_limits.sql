{#- Funnel-plot limits for a proportion around `target` at denominator `n`; `side` is -1 for
    the lower limit and 1 for the upper, `z` the normal deviate (1.959964 for 95%, 3.090232 for
    99.8%). carepath.qi.funnel has the same formulas in numpy. Each macro works in doubles: Spark
    reads a literal such as 1.959964 as a decimal, and decimal division keeps only so many
    places. -#}

{% macro as_double(value) -%}
    cast({{ value }} as {{ type_double() }})
{%- endmacro %}

{#- Wilson's score interval, as PHEindicatormethods writes it, within [0, 1]. -#}
{% macro wilson_limit(target, n, z, side) -%}
    {%- set n = as_double(n) -%}
    {%- set z = as_double(z) -%}
    greatest(0, least(1,
        (
            ({{ target }}) * ({{ n }} / ({{ z }} * {{ z }}) + 1)
            + {{ side }} * sqrt(
                64 * (({{ target }}) * ({{ n }} / ({{ z }} * {{ z }}) + 1))
                * (({{ target }}) * ({{ n }} / ({{ z }} * {{ z }}) + 1))
                - 64 * (1 / ({{ z }} * {{ z }}) + 1 / {{ n }}) * ({{ target }})
                * ({{ n }} * (({{ target }}) * ({{ n }} / ({{ z }} * {{ z }}) + 2) - 1)
                    + {{ z }} * {{ z }} * (({{ target }}) - 1))
            ) / 8
        ) / (1 / ({{ z }} * {{ z }}) + 1 / {{ n }}) / {{ n }}
    ))
{%- endmacro %}

{#- Spiegelhalter's limits widened by the between-site variance tau2, on the arcsine-square-root
    scale: sin^2(asin(sqrt(target)) + side * z * sqrt(1 / 4n + tau2)), kept within [0, pi/2]
    before squaring so the limit stays within [0, 1]. -#}
{% macro overdispersed_limit(target, n, tau2, z, side) -%}
    {%- set n = as_double(n) -%}
    {%- set z = as_double(z) -%}
    power(sin(greatest(0, least(pi() / 2,
        asin(sqrt({{ target }})) + {{ side }} * {{ z }} * sqrt(1 / (4 * {{ n }}) + {{ tau2 }})
    ))), 2)
{%- endmacro %}

{#- Spiegelhalter's additive overdispersion (QSHC 2005;14:347), as FunnelPlotR computes it: the
    square of a z-score winsorised to [low, high] (the 10th and 90th percentiles), whose mean
    over the sites is phi ... -#}
{% macro winsorised_square(z, low, high) -%}
    greatest(least({{ z }}, {{ high }}), {{ low }}) * greatest(least({{ z }}, {{ high }}), {{ low }})
{%- endmacro %}

{#- ... and the between-site variance tau2 that phi beyond 1 implies for `sites` sites with
    weights w = 1 / s^2 (0 when they vary no more than chance). -#}
{% macro between_site_variance(sites, phi, sum_weights, sum_squared_weights) -%}
    case
        when {{ sites }} * {{ phi }} > {{ sites }} - 1
            then greatest(
                0,
                ({{ sites }} * {{ phi }} - ({{ sites }} - 1))
                / nullif({{ sum_weights }} - {{ sum_squared_weights }} / {{ sum_weights }}, 0)
            )
        else 0
    end
{%- endmacro %}
