{#- Funnel-plot limits for a proportion around `target` at denominator `n`; `side` is -1 for
    the lower limit and 1 for the upper, `z` the normal deviate (1.959964 for 95%, 3.090232 for
    99.8%). carepath.qi.funnel has the same formulas in numpy. -#}

{#- Wilson's score interval, as PHEindicatormethods writes it, within [0, 1]. -#}
{% macro wilson_limit(target, n, z, side) -%}
    greatest(0, least(1,
        (
            ({{ target }}) * ({{ n }} / ({{ z }} * {{ z }}) + 1)
            + {{ side }} * sqrt(
                64 * (({{ target }}) * ({{ n }} / ({{ z }} * {{ z }}) + 1))
                * (({{ target }}) * ({{ n }} / ({{ z }} * {{ z }}) + 1))
                - 64 * (1 / ({{ z }} * {{ z }}) + 1.0 / {{ n }}) * ({{ target }})
                * ({{ n }} * (({{ target }}) * ({{ n }} / ({{ z }} * {{ z }}) + 2) - 1)
                    + {{ z }} * {{ z }} * (({{ target }}) - 1))
            ) / 8
        ) / (1 / ({{ z }} * {{ z }}) + 1.0 / {{ n }}) / {{ n }}
    ))
{%- endmacro %}

{#- Spiegelhalter's limits widened by the between-site variance tau2, on the arcsine-square-root
    scale: sin^2(asin(sqrt(target)) + side * z * sqrt(1 / 4n + tau2)), kept within [0, pi/2]
    before squaring so the limit stays within [0, 1]. -#}
{% macro overdispersed_limit(target, n, tau2, z, side) -%}
    power(sin(greatest(0, least(pi() / 2,
        asin(sqrt({{ target }})) + {{ side }} * {{ z }} * sqrt(1.0 / (4 * {{ n }}) + {{ tau2 }})
    ))), 2)
{%- endmacro %}
