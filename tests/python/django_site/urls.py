from debug_toolbar.toolbar import debug_toolbar_urls
from django.http import HttpResponse
from django.template import Context, Template
from django.urls import path

from django_site.shop.models import Order

KEPT = []   # orders a "leaky" view keeps


def orders(request):
    made = [Order(name='<order %d>' % i) for i in range(int(request.GET.get('n', '5')))]
    if request.GET.get('keep'):
        KEPT.extend(made)
    page = Template('<html><body><p>{{ n }} orders</p></body></html>').render(Context({'n': len(made)}))
    return HttpResponse(page)


urlpatterns = [path('orders/', orders)] + debug_toolbar_urls()
